import { CcxError, EVENT_TYPES, LIVE_ONLY_EVENTS, type CcxEvent, type EventsStreamEnd, type EventType } from '@ccx/shared';
import type { StreamSink } from '../router.js';
import type { EventBus } from './event-bus.js';

/** Every type that is persisted; live-only ones (output) are streamed only when asked for by name. */
export const PERSISTED_EVENT_TYPES: readonly EventType[] = EVENT_TYPES.filter((t) => !LIVE_ONLY_EVENTS.has(t));

export interface FollowOptions {
  sessionId?: string;
  /** Types to stream; default: every persisted type. */
  types?: readonly EventType[];
  /** Stream events with a seq greater than this (like SSE's Last-Event-ID). */
  since?: number;
  /** Keep streaming live events after the log has been replayed. */
  follow: boolean;
  /** Live events that may wait for a slow reader before it is cut off. */
  queueMax: number;
}

/** Bytes of events a follower may hold that are not in the log (live-only output, or an append that failed). */
export const MAX_QUEUED_EVENT_BYTES = 1024 * 1024;

/**
 * Streams the events log from `since`, then (with `follow`) live events, as
 * a cursor into the log: persisted events are always read back from disk, a
 * chunk at a time, and the next chunk is read only once the socket has room
 * (the way log-follower.ts streams output). A live event only wakes it. So a
 * follower that reads slowly or not at all holds one chunk and its socket
 * buffer however large the log is, and is never cut off for being behind on
 * persisted events.
 *
 * Events that are not in the log (live-only `session-output`, or one the
 * log could not take) are queued, bounded by `queueMax` events and
 * MAX_QUEUED_EVENT_BYTES, and sent in seq order among those read from disk.
 * A reader too slow for them is cut off with E_OVERFLOW and told where to
 * resume, which loses nothing persisted while the log still holds that seq.
 */
export async function streamEvents(bus: EventBus, sink: StreamSink, opts: FollowOptions): Promise<void> {
  const types = opts.types?.length ? opts.types : PERSISTED_EVENT_TYPES;
  const wanted = new Set<EventType>(types);
  const matches = (event: CcxEvent): boolean => wanted.has(event.type) && (opts.sessionId === undefined || event.sessionId === opts.sessionId);

  const queue: Array<{ event: CcxEvent; bytes: number }> = [];
  let queuedBytes = 0;
  let overflowed = false;
  let wake: (() => void) | undefined;
  const wakeUp = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const subscription = opts.follow
    ? bus.subscribe((event, persisted) => {
        if (persisted || !matches(event) || overflowed) return wakeUp();
        const bytes = JSON.stringify(event).length;
        if (queue.length < opts.queueMax && queuedBytes + bytes <= MAX_QUEUED_EVENT_BYTES) {
          queue.push({ event, bytes });
          queuedBytes += bytes;
        } else {
          // Stop collecting at once; the reader learns why when it reads again
          // and sends none of what was queued, so the queue goes now.
          overflowed = true;
          queue.length = 0;
          queuedBytes = 0;
          subscription?.dispose();
        }
        wakeUp();
      }, types)
    : undefined;
  sink.onClose(() => {
    subscription?.dispose();
    wakeUp();
  });

  const reader = bus.reader();
  let cursor = opts.since ?? 0;
  /** Sends queued events that come before `limit` (in seq order). */
  const sendQueued = async (limit: number): Promise<void> => {
    while (queue.length > 0 && queue[0]!.event.seq < limit && !sink.closed) {
      const { event, bytes } = queue.shift()!;
      queuedBytes -= bytes;
      if (event.seq <= cursor) continue;
      cursor = event.seq;
      if (!sink.send(event)) await sink.drained();
    }
  };
  try {
    let batch = reader?.next() ?? [];
    checkSince(opts.since, batch[0]?.seq ?? bus.lastSeq + 1, bus.lastSeq);
    for (;;) {
      if (sink.closed) return;
      if (overflowed) return sink.fail(overflowError(opts.queueMax, cursor, types));
      if (reader?.lost) return sink.fail(rotatedAwayError(cursor));
      if (batch.length > 0) {
        for (const event of batch) {
          if (sink.closed) return;
          if (event.seq <= cursor) continue;
          await sendQueued(event.seq);
          cursor = event.seq;
          if (matches(event) && !sink.send(event)) await sink.drained();
        }
        // Between chunks: a replay of a large log must not hold the event loop.
        await new Promise((resolve) => setImmediate(resolve));
      } else if (queue.length > 0) {
        // At the end of the log as written: everything queued comes after it.
        await sendQueued(Infinity);
      } else if (!opts.follow) {
        // `cursor` is the last seq of the log as read: everything up to it has been sent or did not match.
        sink.end({ lastSeq: cursor } satisfies EventsStreamEnd);
        return;
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      batch = reader?.next() ?? [];
    }
  } finally {
    subscription?.dispose();
    reader?.close();
  }
}

function overflowError(queueMax: number, cursor: number, types: readonly EventType[]): CcxError {
  return new CcxError(
    'E_OVERFLOW',
    `this follower fell more than ${queueMax} events behind and was cut off at seq ${cursor}`,
    types.some((t) => LIVE_ONLY_EVENTS.has(t))
      ? `resume with: ccx events --since ${cursor} -f (output events are live only and not replayed; the output itself is in: ccx logs)`
      : `read faster, or resume without losing anything: ccx events --since ${cursor} -f`,
    { resumeSince: cursor },
  );
}

function rotatedAwayError(cursor: number): CcxError {
  return new CcxError(
    'E_GAP',
    `the events log was rotated twice while this follower was at seq ${cursor}: events after it are no longer kept`,
    `accept the gap and continue from the oldest kept event: ccx events -f`,
    { resumeSince: cursor },
  );
}

/** A resume point the log can no longer serve is an error, never a silent gap. */
function checkSince(since: number | undefined, oldestKept: number, lastSeq: number): void {
  if (since === undefined) return;
  if (since > lastSeq) {
    throw new CcxError(
      'E_USAGE',
      `--since ${since} is past the last event (seq ${lastSeq})`,
      `the events log may have been reset; resume from its end with --since ${lastSeq}, or from its start without --since`,
      { lastSeq },
    );
  }
  if (since + 1 < oldestKept) {
    throw new CcxError(
      'E_GAP',
      `events ${since + 1}…${oldestKept - 1} are no longer kept: the events log was rotated and now starts at seq ${oldestKept}`,
      `accept the gap and continue from the oldest kept event: ccx events --since ${oldestKept - 1}`,
      { oldestSeq: oldestKept, since },
    );
  }
}
