import type { CcxEvent } from '@ccx/shared';
import type { ConnectDaemon, DaemonConnectionLike } from './daemon-link.js';

export interface HubSubscriber {
  /** Deliver events with a seq above this. */
  after: number;
  /** Only this session's events (its id). */
  sessionId?: string;
  deliver(event: CcxEvent): void;
  /** The hub lost the daemon: the subscriber ends, and its browser reconnects with Last-Event-ID. */
  lost(error: unknown): void;
}

/**
 * One live events stream from the daemon shared by every SSE client that is
 * caught up, instead of one daemon follower per client (100 browsers tabs
 * were 100 followers each reading the events log for every event).
 *
 * No gap, no duplicate: the hub has received, in seq order, every persisted
 * event after the seq it started from up to `lastSeq`. A client that wants
 * the events after S may join when S ≥ lastSeq — every later event reaches
 * the hub after now, and the client filters seq > S. A client further
 * behind reads its own stream from the daemon's log instead
 * (event-stream.ts). The hub never waits for a slow client: each client's
 * response has its own bound, and one past it is ended to reconnect.
 */
export class EventHub {
  private readonly subscribers = new Set<HubSubscriber>();
  private conn: DaemonConnectionLike | undefined;
  private starting: Promise<void> | undefined;
  /** The seq of the last event received (or the start seq); undefined while not running. */
  private lastSeq: number | undefined;

  constructor(private readonly connect: ConnectDaemon) {}

  /**
   * Joins when the hub can serve events after `after` without a gap
   * (starting it from `after` when it does not run); false: read your own stream.
   */
  async join(subscriber: HubSubscriber): Promise<boolean> {
    if (this.lastSeq === undefined) {
      this.starting ??= this.start(subscriber.after).finally(() => (this.starting = undefined));
      await this.starting;
    }
    if (this.lastSeq === undefined || subscriber.after < this.lastSeq) return false;
    this.subscribers.add(subscriber);
    return true;
  }

  leave(subscriber: HubSubscriber): void {
    this.subscribers.delete(subscriber);
    // The last one gone: the daemon stream ends too (nothing to keep open for).
    if (this.subscribers.size === 0 && !this.starting) this.stop();
  }

  close(): void {
    this.stop();
  }

  private async start(since: number): Promise<void> {
    const conn = await this.connect();
    this.conn = conn;
    this.lastSeq = since;
    const { done } = conn.stream('events.stream', { since, follow: true }, (data) => {
      const event = data as CcxEvent;
      this.lastSeq = event.seq;
      for (const s of this.subscribers) {
        if (event.seq > s.after && (s.sessionId === undefined || event.sessionId === s.sessionId)) s.deliver(event);
      }
    });
    done.then(
      () => this.fail(conn, new Error('the daemon ended the events stream')),
      (error: unknown) => this.fail(conn, error),
    );
  }

  private fail(conn: DaemonConnectionLike, error: unknown): void {
    // Only the stream that is running now: one stopped earlier (its last subscriber left) ends quietly.
    if (this.conn !== conn) return;
    const lost = [...this.subscribers];
    this.stop();
    for (const s of lost) s.lost(error);
  }

  private stop(): void {
    this.subscribers.clear();
    this.lastSeq = undefined;
    const conn = this.conn;
    this.conn = undefined;
    conn?.close();
  }
}
