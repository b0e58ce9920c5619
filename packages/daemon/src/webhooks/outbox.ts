import { existsSync, readFileSync, rmSync } from 'node:fs';
import { appendLine } from '../store/append-line.js';
import { writeFileAtomic } from '../store/atomic-file.js';

/** One pending delivery. The body is stored as sent, so every retry carries the same bytes. */
export interface OutboxEntry {
  /** Delivery id: the idempotency key receivers deduplicate on. */
  id: string;
  type: string;
  /** Seq of the event (for output batches: the last persisted seq when the batch was made). */
  seq: number;
  body: string;
  enqueuedAt: string;
}

export interface OutboxLimits {
  maxEntries: number;
  maxBytes: number;
}

/** When full, drop down to this fraction of the limits at once, so a dead receiver costs one drop notice per many events. */
const DROP_TO_FRACTION = 0.9;
/** Rewrite the journal once it holds this many finished deliveries more than pending ones. */
const COMPACT_AFTER_DONE = 1_000;

type JournalLine = { add: OutboxEntry } | { done: string };

/**
 * A subscriber's pending deliveries, in order, on disk: an append-only
 * journal of `add` and `done` lines. An entry is appended before anyone tries
 * to deliver it and marked done only after the receiver accepted it, so a
 * crash (even kill -9) loses nothing: what was not marked done is sent again
 * (at-least-once). Appends go to the page cache, which survives a killed
 * process; the journal is compacted with an atomic rewrite.
 *
 * Bounded: past `maxEntries` or `maxBytes` the oldest entries are dropped
 * (and reported to the caller, which records the drop as an event).
 */
export class Outbox {
  private readonly entries: OutboxEntry[] = [];
  private bytes = 0;
  /** Size of the journal file, so a torn append can be cut back (see appendLine). */
  private fileBytes = 0;
  private doneSinceCompaction = 0;

  constructor(
    private readonly file: string,
    private readonly limits: OutboxLimits,
  ) {
    this.load();
  }

  get size(): number {
    return this.entries.length;
  }

  head(): OutboxEntry | undefined {
    return this.entries[0];
  }

  /** Appends an entry; returns the entries dropped to make room (oldest first). */
  add(entry: OutboxEntry): OutboxEntry[] {
    this.append({ add: entry });
    this.entries.push(entry);
    this.bytes += entry.body.length;
    if (this.entries.length <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) return [];
    const keepEntries = Math.max(1, Math.floor(this.limits.maxEntries * DROP_TO_FRACTION));
    const keepBytes = Math.floor(this.limits.maxBytes * DROP_TO_FRACTION);
    const dropped: OutboxEntry[] = [];
    // The newest entry is always kept: it is what the receiver most needs when it comes back.
    while (this.entries.length > 1 && (this.entries.length > keepEntries || this.bytes > keepBytes)) {
      const old = this.entries.shift()!;
      this.bytes -= old.body.length;
      dropped.push(old);
    }
    for (const old of dropped) this.append({ done: old.id });
    this.doneSinceCompaction += dropped.length;
    this.maybeCompact();
    return dropped;
  }

  /** Marks a delivery finished (accepted, or refused for good). Unknown ids (already dropped) are ignored. */
  done(id: string): void {
    const index = this.entries.findIndex((e) => e.id === id);
    if (index < 0) return;
    const [entry] = this.entries.splice(index, 1);
    this.bytes -= entry!.body.length;
    this.append({ done: id });
    this.doneSinceCompaction++;
    this.maybeCompact();
  }

  /** Deletes the journal: the subscriber was removed. */
  destroy(): void {
    this.entries.length = 0;
    this.fileBytes = 0;
    rmSync(this.file, { force: true });
  }

  private append(line: JournalLine): void {
    this.fileBytes = appendLine(this.file, JSON.stringify(line) + '\n', this.fileBytes);
  }

  private maybeCompact(): void {
    if (this.doneSinceCompaction >= COMPACT_AFTER_DONE && this.doneSinceCompaction > this.entries.length) this.compact();
  }

  private compact(): void {
    const text = this.entries.map((e) => JSON.stringify({ add: e }) + '\n').join('');
    writeFileAtomic(this.file, text);
    this.fileBytes = Buffer.byteLength(text);
    this.doneSinceCompaction = 0;
  }

  /** Replays the journal. A torn last line (crash mid-append) is skipped, and the rewrite removes it. */
  private load(): void {
    if (!existsSync(this.file)) return;
    const byId = new Map<string, OutboxEntry>();
    for (const text of readFileSync(this.file, 'utf8').split('\n')) {
      if (!text) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch {
        continue;
      }
      if ('add' in line && line.add && typeof line.add.id === 'string' && typeof line.add.body === 'string') byId.set(line.add.id, line.add);
      else if ('done' in line) byId.delete(line.done);
    }
    for (const entry of byId.values()) {
      this.entries.push(entry);
      this.bytes += entry.body.length;
    }
    this.compact();
  }
}
