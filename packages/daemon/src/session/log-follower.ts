import { OUTPUT_FRAME_BYTES, type OutputFrame } from '@ccx/shared';
import type { EventBus } from '../events/event-bus.js';
import type { StreamSink } from '../router.js';
import type { Session } from './session.js';

export interface FollowOptions {
  /** Offset to start at (clamped to what the log still holds). */
  from: number;
  /** Keep streaming live output until the session ends; otherwise stop at `until`. */
  follow: boolean;
  /** Without `follow`: stop here (the log's end when the request came in). */
  until?: number;
  /**
   * Applied to each chunk before it is sent (attach's output filter); a chunk
   * it empties sends no frame. Frames keep the log offset of their chunk.
   */
  transform?: (data: Buffer) => Buffer;
  /** Told the log offset read up to after each chunk handed to the stream (attach: how far behind a client is). */
  onProgress?: (offset: number) => void;
}

/**
 * While output flows, a follower reads at most this often. A PTY delivers a
 * burst in ~4 KiB reads; batching them makes a few large frames instead of
 * a frame (and a socket write) per read per follower. Output after a quiet
 * spell, such as the echo of a keystroke, still goes out at once.
 */
export const FOLLOW_BATCH_MS = 5;

/**
 * Frames sent at once after a quiet spell (FOLLOW_BATCH_MS without a frame)
 * before batching starts. A keystroke's echo often comes in more than one
 * write (readline echoes, then redraws the rest of the line; a TUI moves the
 * cursor, draws, moves it back): batching from the second frame on held
 * those later parts back by up to FOLLOW_BATCH_MS. A flood still batches
 * after its first few frames, so followers of a `cat` make as many frames.
 */
export const FOLLOW_BURST_FRAMES = 4;

export type FollowOutcome = 'ended' | 'reached' | 'closed' | 'removed';

/**
 * Streams a session's output log to one client, as a cursor into the log:
 * it reads from disk at its own offset, at most OUTPUT_FRAME_BYTES at a
 * time, and waits for the socket to drain before reading more. So a follower
 * that reads slowly or not at all holds one chunk and a socket buffer, never
 * a queue of its own, and never slows the program or other followers. New
 * output only wakes it; the bytes are read back from the log.
 *
 * Resolves with the offset reached and why it stopped.
 */
export async function followOutput(session: Session, bus: EventBus, sink: StreamSink, opts: FollowOptions): Promise<{ offset: number; outcome: FollowOutcome }> {
  let offset = opts.from;
  let removed = false;
  let lastFrameAt = 0;
  /** Frames since the last quiet spell; batching starts once it reaches FOLLOW_BURST_FRAMES. */
  let burst = 0;
  let wake: (() => void) | undefined;
  const wakeUp = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const output = session.onOutput(wakeUp);
  const lifecycle = bus.subscribe(
    (event) => {
      if (event.sessionId !== session.id) return;
      if (event.type === 'session-removed') removed = true;
      wakeUp();
    },
    ['process-exit', 'session-removed'],
  );
  sink.onClose(wakeUp);
  try {
    for (;;) {
      if (sink.closed) return { offset, outcome: 'closed' };
      if (removed) return { offset, outcome: 'removed' };
      const limit = opts.follow || opts.until === undefined ? OUTPUT_FRAME_BYTES : Math.min(OUTPUT_FRAME_BYTES, opts.until - offset);
      if (limit <= 0) return { offset, outcome: 'reached' };
      // Checked before reading: output that arrives after this read is then
      // still read on the next turn, since exit comes after the last output.
      const ended = !session.isRunning;
      const chunk = session.output.read(offset, limit);
      if (chunk.offset > offset) {
        sink.send({ k: 'gap', from: offset, to: chunk.offset } satisfies OutputFrame);
        offset = chunk.offset;
      }
      if (chunk.data.length > 0) {
        offset += chunk.data.length;
        opts.onProgress?.(offset);
        const data = opts.transform ? opts.transform(chunk.data) : chunk.data;
        if (data.length === 0) continue;
        lastFrameAt = Date.now();
        burst++;
        const open = sink.send({ k: 'out', offset: chunk.offset, data } satisfies OutputFrame);
        if (!open) await sink.drained();
        continue;
      }
      if (!opts.follow) return { offset, outcome: 'reached' };
      if (ended) return { offset, outcome: 'ended' };
      await new Promise<void>((resolve) => (wake = resolve));
      // Judged on waking, not on sending: the frame sent after a batching
      // wait comes FOLLOW_BATCH_MS after the one before, and must not count
      // as the start of a new burst.
      const sinceLastFrame = Date.now() - lastFrameAt;
      if (sinceLastFrame >= FOLLOW_BATCH_MS) burst = 0;
      else if (burst >= FOLLOW_BURST_FRAMES) await new Promise((resolve) => setTimeout(resolve, FOLLOW_BATCH_MS - sinceLastFrame));
    }
  } finally {
    output.dispose();
    lifecycle.dispose();
  }
}
