import type { CancelResult } from '@ccx/shared';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { foregroundGroup, signalGroup, signalSession } from '../process/session-processes.js';
import type { Session } from './session.js';

/** Default time a program gets to handle SIGINT before SIGTERM. */
export const DEFAULT_GRACE_MS = 3_000;
/** Time between SIGTERM and SIGKILL. */
export const TERM_WAIT_MS = 1_000;
/** Time to wait for the exit after SIGKILL before reporting a timeout. */
export const KILL_WAIT_MS = 3_000;

export interface CancelOptions {
  graceMs?: number;
  force?: boolean;
}

/**
 * Ends a session the way a careful person would: SIGINT to the foreground
 * process group (what Ctrl-C does), then SIGTERM, then SIGKILL to every
 * process of the session, each step an event. Concurrent cancels of one
 * session share one escalation.
 */
export class Escalator {
  private readonly inFlight = new Map<string, Promise<CancelResult>>();

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  cancel(session: Session, opts: CancelOptions): Promise<CancelResult> {
    const running = this.inFlight.get(session.id);
    if (running) return running;
    // Cancelling what already ended succeeds: the goal (it is not running) is met, and cron's cleanup step must not fail.
    if (!session.isRunning) return Promise.resolve({ session: session.info(), steps: [], timedOut: false, alreadyEnded: true });
    const promise = this.escalate(session, opts).finally(() => this.inFlight.delete(session.id));
    this.inFlight.set(session.id, promise);
    return promise;
  }

  private async escalate(session: Session, opts: CancelOptions): Promise<CancelResult> {
    const identity = session.identity!;
    const steps: string[] = [];
    const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    session.cancelRequested = true;
    const first = opts.force ? 'SIGKILL' : 'SIGINT';
    this.bus.publish('cancel-initiated', { sessionId: session.id, signal: first, graceMs: opts.force ? 0 : graceMs, force: !!opts.force });
    let exited: boolean;
    if (opts.force) {
      steps.push('SIGKILL');
      signalSession(identity, 'SIGKILL');
      exited = await session.waitForExit(KILL_WAIT_MS);
    } else {
      steps.push('SIGINT');
      signalGroup(foregroundGroup(identity.pid), 'SIGINT');
      exited = await session.waitForExit(graceMs);
      if (!exited) {
        steps.push('SIGTERM');
        this.bus.publish('cancel-escalated', { sessionId: session.id, signal: 'SIGTERM' });
        signalSession(identity, 'SIGTERM');
        exited = await session.waitForExit(TERM_WAIT_MS);
      }
      if (!exited) {
        steps.push('SIGKILL');
        this.bus.publish('cancel-escalated', { sessionId: session.id, signal: 'SIGKILL' });
        signalSession(identity, 'SIGKILL');
        exited = await session.waitForExit(KILL_WAIT_MS);
      }
    }
    // The program is gone, but a grandchild that left its process group (or
    // ignored every signal so far) may still run: a cancelled session leaves
    // nothing behind.
    const stragglers = signalSession(identity, 'SIGKILL');
    if (stragglers.length) this.logger.info('killed leftover processes of cancelled session', { session: session.id, pids: stragglers });
    return { session: session.info(), steps, timedOut: !exited };
  }
}
