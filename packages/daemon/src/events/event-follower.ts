import { CcxError, EVENT_TYPES, LIVE_ONLY_EVENTS, type CcxEvent, type EventType } from '@ccx/shared';
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

/** End result of the `events.stream` method. */
export interface EventsStreamEnd {
  /** Resume point: every event up to this seq has been sent or did not match. */
  lastSeq: number;
}

/**
 * Streams the events log from `since`, then (with `follow`) live events, with
 * no gap and no duplicate at the hand-over: it subscribes before reading the
 * log, so every event is either in what it read or in its live buffer, and
 * skips buffered events the log already had.
 *
 * The live buffer is bounded: a reader slower than the events cannot make the
 * daemon hold more than `queueMax` events for it. It is cut off with
 * E_OVERFLOW and told where to resume, which loses nothing while the log
 * still holds that seq.
 */
export async function streamEvents(bus: EventBus, sink: StreamSink, opts: FollowOptions): Promise<void> {
  const types = opts.types?.length ? opts.types : PERSISTED_EVENT_TYPES;
  const wanted = new Set<EventType>(types);
  const matches = (event: CcxEvent): boolean => wanted.has(event.type) && (opts.sessionId === undefined || event.sessionId === opts.sessionId);

  const live: CcxEvent[] = [];
  let overflowed = false;
  let wake: (() => void) | undefined;
  const subscription = opts.follow
    ? bus.subscribe((event) => {
        if (!matches(event) || overflowed) return;
        if (live.length < opts.queueMax) live.push(event);
        else {
          // Stop collecting at once; the reader learns why when it reads again
          // and sends none of what was queued, so the queue goes now.
          overflowed = true;
          live.length = 0;
          subscription?.dispose();
        }
        wake?.();
      }, types)
    : undefined;
  sink.onClose(() => {
    subscription?.dispose();
    wake?.();
  });

  try {
    const history = bus.history();
    checkSince(opts.since, history[0]?.seq ?? bus.lastSeq + 1, bus.lastSeq);
    let cursor = opts.since ?? 0;
    for (const event of history) {
      if (sink.closed) return;
      if (event.seq <= cursor) continue;
      cursor = event.seq;
      if (matches(event) && !sink.send(event)) await sink.drained();
    }
    // `cursor` is now the last seq of the log as read: everything up to it has
    // been sent or did not match; anything later is in the live buffer.
    if (!opts.follow) {
      sink.end({ lastSeq: cursor } satisfies EventsStreamEnd);
      return;
    }
    const handover = cursor;
    while (!sink.closed) {
      if (overflowed) {
        sink.fail(
          new CcxError(
            'E_OVERFLOW',
            `this follower fell more than ${opts.queueMax} events behind and was cut off at seq ${cursor}`,
            types.some((t) => LIVE_ONLY_EVENTS.has(t))
              ? `resume with: ccx events --since ${cursor} -f (output events are live only and not replayed; the output itself is in: ccx logs)`
              : `read faster, or resume without losing anything: ccx events --since ${cursor} -f`,
            { resumeSince: cursor },
          ),
        );
        return;
      }
      const event = live.shift();
      if (!event) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (!LIVE_ONLY_EVENTS.has(event.type)) {
        // Published while the log was being replayed, so already sent from the log.
        if (event.seq <= handover) continue;
        cursor = Math.max(cursor, event.seq);
      }
      if (!sink.send(event)) await sink.drained();
    }
  } finally {
    subscription?.dispose();
  }
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
