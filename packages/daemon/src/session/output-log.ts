import { closeSync, ftruncateSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RecentReads } from './recent-reads.js';

/** Name of a segment file: its first byte's offset in the session's output, zero-padded so names sort. */
const segmentName = (base: number): string => `output-${String(base).padStart(15, '0')}.log`;
const SEGMENT_RE = /^output-(\d{15})\.log$/;

/** Bytes of recent reads kept for other readers of the same range while the log is open (recent-reads.ts): four full frames. */
const RECENT_READS_BYTES = 1024 * 1024;

/**
 * A session's output, append-only on disk: the source of truth for logs,
 * followers and replays. Offsets are counted from the session's first byte and
 * survive rotation: past `maxBytes` a new segment file starts, named by its
 * base offset, and only the newest two segments are kept — so the retained
 * history is between `maxBytes` and `2 × maxBytes`.
 *
 * Writes are synchronous so that once `append` returns, any reader sees the
 * bytes; a PTY chunk is at most a few tens of KiB, so this costs little.
 *
 * This object is the only writer of its directory, so the list of segments
 * is kept in memory rather than read from the directory on every read: with
 * many followers each reading every PTY chunk back, a readdir per read was
 * the largest cost of serving them. While the session runs, the newest
 * segment also stays open for reading, for the same reason, and the last
 * chunks read are kept, so followers at the same offset share one read.
 */
export class OutputLog {
  private fd: number | undefined;
  private base: number;
  private size: number;
  /** Base offsets of the segment files on disk, oldest first. */
  private bases: number[];
  /** Read handle of the newest segment, kept only while the log is open for writing. */
  private reader: { base: number; fd: number } | undefined;
  /** Chunks recently read, kept only while the log is open for writing (then followers are reading live). */
  private readonly recent = new RecentReads(RECENT_READS_BYTES);

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {
    this.bases = this.scan();
    this.base = this.bases[this.bases.length - 1] ?? 0;
    try {
      this.size = statSync(join(dir, segmentName(this.base))).size;
    } catch {
      this.size = 0;
    }
  }

  /** Whether a session directory holds any output, by the same reading of its segments as a log opened on it. */
  static holdsOutput(dir: string): boolean {
    return new OutputLog(dir, Number.MAX_SAFE_INTEGER).end > 0;
  }

  /** Offset one past the last byte written. */
  get end(): number {
    return this.base + this.size;
  }

  /** Oldest offset still on disk. */
  get start(): number {
    return this.bases[0] ?? 0;
  }

  append(chunk: Buffer): void {
    if (this.size > 0 && this.size + chunk.length > this.maxBytes) this.rotate();
    if (this.fd === undefined) {
      this.fd = openSync(join(this.dir, segmentName(this.base)), 'a', 0o600);
      if (this.bases[this.bases.length - 1] !== this.base) this.bases.push(this.base);
    }
    let written = 0;
    try {
      while (written < chunk.length) written += writeSync(this.fd, chunk, written);
    } catch (error) {
      // A full disk can take part of a chunk: cut it back off, so the file
      // holds whole chunks and its size stays the log's end offset.
      if (written > 0) {
        try {
          ftruncateSync(this.fd, this.size);
        } catch {}
      }
      throw error;
    }
    this.size += chunk.length;
  }

  /** Reads up to `maxBytes` starting at `offset` (clamped to what is retained). */
  read(offset: number, maxBytes: number): { offset: number; data: Buffer } {
    const segments = this.bases;
    const start = segments[0] ?? 0;
    let from = Math.max(offset, start);
    const end = this.end;
    if (from >= end) return { offset: from, data: Buffer.alloc(0) };
    const parts: Buffer[] = [];
    let remaining = Math.min(maxBytes, end - from);
    const at = from;
    const shared = this.recent.find(at, remaining);
    if (shared) return { offset: at, data: shared };
    for (let i = 0; i < segments.length && remaining > 0; i++) {
      const segBase = segments[i]!;
      const segEnd = i + 1 < segments.length ? segments[i + 1]! : end;
      if (from >= segEnd) continue;
      const length = Math.min(remaining, segEnd - from);
      let handle: { fd: number; keep: boolean };
      try {
        handle = this.openForRead(segBase);
      } catch (error) {
        // The session was removed under a reader: what was read so far is all there is.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
        throw error;
      }
      const { fd, keep } = handle;
      const buf = Buffer.allocUnsafe(length);
      try {
        let got = 0;
        while (got < length) {
          const n = readSync(fd, buf, got, length - got, from - segBase + got);
          if (n === 0) break;
          got += n;
        }
        parts.push(got === length ? buf : buf.subarray(0, got));
        from += got;
        remaining -= got;
        if (got < length) break;
      } finally {
        if (!keep) closeSync(fd);
      }
    }
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (this.fd !== undefined) this.recent.remember(at, data);
    return { offset: at, data };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.closeReader();
    this.recent.clear();
  }

  /** The newest segment's cached handle while writing; any other segment is opened for this one read. */
  private openForRead(base: number): { fd: number; keep: boolean } {
    if (this.reader?.base === base) return { fd: this.reader.fd, keep: true };
    const fd = openSync(join(this.dir, segmentName(base)), 'r');
    if (this.fd === undefined || base !== this.base) return { fd, keep: false };
    this.closeReader();
    this.reader = { base, fd };
    return { fd, keep: true };
  }

  private closeReader(): void {
    if (this.reader) closeSync(this.reader.fd);
    this.reader = undefined;
  }

  private rotate(): void {
    this.close();
    this.base += this.size;
    this.size = 0;
    // Keep the segment just finished; the new one is created by the next append.
    for (const old of this.bases.slice(0, -1)) rmSync(join(this.dir, segmentName(old)), { force: true });
    this.bases = this.bases.slice(-1);
  }

  private scan(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .map((name) => SEGMENT_RE.exec(name)?.[1])
      .filter((base): base is string => base !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }
}
