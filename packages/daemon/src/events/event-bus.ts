import { LIVE_ONLY_EVENTS, type CcxEvent, type EventData, type EventOf, type EventType } from '@ccx/shared';
import type { Disposable } from '../disposable.js';
import type { Logger } from '../logger.js';
import type { EventsLog } from './events-log.js';
import type { EventsReader } from './events-reader.js';
import type { SeqLease } from './seq-lease.js';

/** `persisted` is false for live-only events and for events the log could not take (disk full). */
export type EventListener = (event: CcxEvent, persisted: boolean) => void;

interface Subscription {
  listener: EventListener;
  types?: ReadonlySet<EventType>;
}

/**
 * The daemon's typed event bus. Every event gets the next global `seq` and is
 * appended to the events log before listeners see it. Listeners are isolated:
 * one that throws is logged and skipped; a slow one must queue on its own
 * side (followers keep bounded queues), since publish is synchronous.
 *
 * `session-output` is live-only: it is never persisted, because its bytes
 * live in the session's output log. It still takes a seq of its own, so
 * every event has a unique seq and a follower can order output among the
 * persisted events (the log then has gaps where output events were).
 */
export class EventBus {
  private seq: number;
  private readonly subscriptions = new Set<Subscription>();
  private readonly counts: Record<string, number> = {};

  constructor(
    private readonly log: EventsLog | undefined,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly lease?: SeqLease,
  ) {
    // Above every seq a daemon killed before could have handed out, not only above the last one it logged.
    this.seq = Math.max(log?.lastSeq() ?? 0, lease?.floor ?? 0);
  }

  /** Typed by the event's schema (EventDataSchemas in shared/schemas.ts): a wrong payload is a tsc error. */
  publish<T extends EventType>(type: T, data: EventData<T>): EventOf<T> {
    const live = LIVE_ONLY_EVENTS.has(type);
    if (live && !this.hasListenersFor(type)) return { seq: this.seq, type, time: '', ...data } as EventOf<T>;
    try {
      this.lease?.cover(this.seq + 1);
    } catch (error) {
      // The disk is full or gone: numbering goes on (events must not stop), a restart may reuse these live seqs.
      this.logger.warn('events seq lease could not be written', { error: String(error) });
    }
    // The envelope and the data are checked apart: TypeScript cannot spread into a generic union member.
    const event = { seq: ++this.seq, type, time: this.now().toISOString(), ...data } as EventOf<T> & CcxEvent;
    this.counts[type] = (this.counts[type] ?? 0) + 1;
    let persisted = false;
    if (!live && this.log) {
      try {
        this.log.append(event);
        persisted = true;
      } catch (error) {
        this.logger.error('events log write failed', { error: String(error), seq: event.seq });
      }
    }
    for (const sub of this.subscriptions) {
      if (sub.types && !sub.types.has(type)) continue;
      try {
        sub.listener(event, persisted);
      } catch (error) {
        this.logger.warn('event listener threw', { type, error: String(error) });
      }
    }
    return event;
  }

  /** With `types`, the listener sees those types only, and is typed so. */
  subscribe<T extends EventType = EventType>(listener: (event: Extract<CcxEvent, { type: T }>, persisted: boolean) => void, types?: Iterable<T>): Disposable {
    const sub: Subscription = { listener: listener as EventListener, types: types ? new Set(types) : undefined };
    this.subscriptions.add(sub);
    return { dispose: () => this.subscriptions.delete(sub) };
  }

  hasListenersFor(type: EventType): boolean {
    for (const sub of this.subscriptions) if (!sub.types || sub.types.has(type)) return true;
    return false;
  }

  /** A cursor over the events the log still holds, oldest first (rotation drops the oldest); undefined without a log. */
  reader(): EventsReader | undefined {
    return this.log?.reader();
  }

  /** True if a retained event satisfies `test` (read from disk a chunk at a time). */
  logged(test: (event: CcxEvent) => boolean): boolean {
    return this.log?.some(test) ?? false;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  countsByType(): Record<string, number> {
    return { ...this.counts };
  }
}
