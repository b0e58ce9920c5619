import { closeSync, openSync, readSync } from 'node:fs';
import type { CcxEvent } from '@ccx/shared';

/** Bytes read from the events log at a time: what one follower holds while replaying. */
export const EVENTS_READ_CHUNK_BYTES = 64 * 1024;
/** A line longer than this is not an event the daemon wrote (they are a few hundred bytes): it is skipped. */
const MAX_LINE_BYTES = 1024 * 1024;

/** What the log tells a reader about its files, so it can follow a rotation. */
export interface EventsFiles {
  readonly current: string;
  readonly rotated: string;
  /** Incremented at each rotation (`current` renamed to `rotated`). */
  readonly generation: number;
}

/**
 * A cursor over the events log, reading it from disk a chunk at a time: a
 * follower holds one chunk and at most one partial line, never the parsed
 * log (each unread `events` stream held the whole log, ~27 MiB; 110 of them
 * took the daemon from 149 MiB to 2.5 GiB).
 *
 * It opens the rotated file and the current one when made, and reads the
 * current file through its descriptor: a rotation renames that file, so the
 * reader goes on reading it to its end and then opens the new current file.
 * Two rotations before it got there would have deleted a file it had not
 * read: `lost` is then set and it reads nothing more.
 */
export class EventsReader {
  private fds: number[] = [];
  private position = 0;
  private pending: Buffer = Buffer.alloc(0);
  private chunk: Buffer | undefined;
  private skippingLongLine = false;
  private generation: number;
  private closed = false;
  /** Set once a rotation removed events this reader had not read yet. */
  lost = false;

  /** True once the current file of `generation` is among `fds` (it may not have existed yet). */
  private openedCurrent = false;

  constructor(private readonly files: EventsFiles) {
    this.generation = files.generation;
    this.openFrom(true);
  }

  /** Opens the rotated file (when `withRotated`) and the current one, those that exist. */
  private openFrom(withRotated: boolean): void {
    for (const [file, isCurrent] of [[this.files.rotated, false], [this.files.current, true]] as const) {
      if (!isCurrent && !withRotated) continue;
      try {
        this.fds.push(openSync(file, 'r'));
        if (isCurrent) this.openedCurrent = true;
      } catch {
        // Absent: nothing to read from it.
      }
    }
  }

  /**
   * The next events, from at most one chunk of the file; an empty array once
   * the end of what has been written so far is reached (call again later:
   * events appended since are then read). Lines that do not parse, or whose
   * `seq` is not a positive integer, are skipped.
   */
  next(): CcxEvent[] {
    for (;;) {
      if (this.closed || this.lost) return [];
      const fd = this.fds[0];
      if (fd === undefined) {
        if (!this.openNext()) return [];
        continue;
      }
      // One buffer per reader, reused: a follower at the end of the log reads on every wake-up.
      this.chunk ??= Buffer.allocUnsafe(EVENTS_READ_CHUNK_BYTES);
      const chunk = this.chunk;
      const n = readSync(fd, chunk, 0, chunk.length, this.position);
      if (n > 0) {
        this.position += n;
        const events = this.parse(chunk.subarray(0, n));
        if (events.length > 0) return events;
        continue;
      }
      // The end of this file. The rotated one is done for good; the current one
      // only if a rotation happened since (then the new current file is next).
      const isLast = this.fds.length === 1 && this.openedCurrent;
      if (isLast && this.files.generation === this.generation) return [];
      this.finishFile();
    }
  }

  /** Reads to the end and returns the largest valid seq, or 0. */
  lastSeq(): number {
    let last = 0;
    for (let batch = this.next(); batch.length > 0; batch = this.next()) for (const e of batch) if (e.seq > last) last = e.seq;
    return last;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.fds) closeSync(fd);
    this.fds = [];
    this.pending = Buffer.alloc(0);
    this.chunk = undefined;
  }

  private finishFile(): void {
    closeSync(this.fds.shift()!);
    this.position = 0;
    this.pending = Buffer.alloc(0);
    this.skippingLongLine = false;
  }

  /**
   * With every open file read: the file to go on with. A current file read to
   * its end after one rotation is followed by the new current file; one that
   * did not exist yet when the reader opened is opened now (or, if it was
   * created and rotated since, the rotated file first). Two rotations since
   * removed a file this reader never read.
   */
  private openNext(): boolean {
    const rotations = this.files.generation - this.generation;
    if (rotations >= 2) {
      this.lost = true;
      return false;
    }
    if (rotations === 0) {
      if (this.openedCurrent) return false;
      this.openFrom(false);
      return this.fds.length > 0;
    }
    const withRotated = !this.openedCurrent;
    this.generation = this.files.generation;
    this.openedCurrent = false;
    this.openFrom(withRotated);
    return this.fds.length > 0;
  }

  private parse(chunk: Buffer): CcxEvent[] {
    const events: CcxEvent[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skippingLongLine) {
        this.skippingLongLine = false;
        this.pending = Buffer.alloc(0);
        continue;
      }
      const line = this.pending.length > 0 ? Buffer.concat([this.pending, piece]) : piece;
      this.pending = Buffer.alloc(0);
      const event = parseEventLine(line);
      if (event) events.push(event);
    }
    const rest = chunk.subarray(start);
    if (!this.skippingLongLine && rest.length > 0) {
      if (this.pending.length + rest.length > MAX_LINE_BYTES) {
        this.skippingLongLine = true;
        this.pending = Buffer.alloc(0);
      } else {
        // Copied: `chunk` is not kept, so a partial line costs only its own bytes.
        this.pending = Buffer.concat([this.pending, rest]);
      }
    }
    return events;
  }
}

/** One line of the events log, or undefined for a torn or foreign one (a crash mid-write, a hand edit). */
export function parseEventLine(line: Buffer | string): CcxEvent | undefined {
  if (line.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { seq, type } = value as { seq?: unknown; type?: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1 || typeof type !== 'string') return undefined;
  return value as CcxEvent;
}
