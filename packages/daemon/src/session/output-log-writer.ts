import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { OutputLog } from './output-log.js';

/** An output log that failed counts as writable again after this long without a failure. */
export const LOG_RECOVERED_AFTER_MS = 1_000;

export interface OutputLogWriterDeps {
  sessionId: string;
  bus: EventBus;
  logger: Logger;
  now: () => Date;
}

/**
 * Appends a session's output to its log, with the policy for a log that
 * cannot be written (disk full): output is dropped, and that is reported
 * once per episode, and again with the bytes dropped once writing has
 * worked for LOG_RECOVERED_AFTER_MS — once per chunk, a full disk made
 * hundreds of events a second, and a nearly full one flips between the two.
 */
export class OutputLogWriter {
  /** Set while the log cannot be written: what has been dropped, and when it last failed. */
  private failure: { droppedBytes: number; lastAt: number } | undefined;

  constructor(
    private readonly log: OutputLog,
    private readonly deps: OutputLogWriterDeps,
  ) {}

  /** False when the chunk could not be written (and was dropped). */
  append(chunk: Buffer): boolean {
    const { bus, logger, sessionId } = this.deps;
    try {
      this.log.append(chunk);
    } catch (error) {
      if (this.failure) {
        this.failure.droppedBytes += chunk.length;
        this.failure.lastAt = this.nowMs();
        return false;
      }
      this.failure = { droppedBytes: chunk.length, lastAt: this.nowMs() };
      logger.error('output log write failed; dropping output until it can be written', { session: sessionId, error: String(error) });
      bus.publish('session-error', { sessionId, code: 'E_INTERNAL', message: `output log write failed: ${String(error)}; output is dropped until the log can be written again` });
      return false;
    }
    if (this.failure && this.nowMs() - this.failure.lastAt >= LOG_RECOVERED_AFTER_MS) {
      const { droppedBytes } = this.failure;
      this.failure = undefined;
      logger.warn('output log writable again', { session: sessionId, droppedBytes });
      bus.publish('session-error', { sessionId, code: 'E_INTERNAL', message: `output log writable again; ${droppedBytes} bytes of output were dropped while it was not`, droppedBytes });
    }
    return true;
  }

  private nowMs(): number {
    return this.deps.now().getTime();
  }
}
