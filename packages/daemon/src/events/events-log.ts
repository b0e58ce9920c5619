import { renameSync, statSync } from 'node:fs';
import type { CcxEvent } from '@ccx/shared';
import { appendLine } from '../store/append-line.js';
import { EventsReader, type EventsFiles } from './events-reader.js';

/**
 * Append-only JSON-lines log of persisted events, so a follower can resume
 * with `--since SEQ`. Rotated to `<file>.1` past `maxBytes`; one rotated file
 * is kept, so the oldest retained seq moves forward over time. Readers go
 * through `reader()`, a cursor that reads from disk as it goes.
 */
export class EventsLog implements EventsFiles {
  private bytes = 0;
  /** Rotations so far, so a reader can tell its current file was renamed. */
  generation = 0;
  readonly rotated: string;

  constructor(
    readonly current: string,
    private readonly maxBytes: number,
  ) {
    this.rotated = `${current}.1`;
    try {
      this.bytes = statSync(current).size;
    } catch {
      this.bytes = 0;
    }
  }

  append(event: CcxEvent): void {
    const line = JSON.stringify(event) + '\n';
    if (this.bytes > 0 && this.bytes + line.length > this.maxBytes) {
      renameSync(this.current, this.rotated);
      this.generation++;
      this.bytes = 0;
    }
    this.bytes = appendLine(this.current, line, this.bytes);
  }

  /** A cursor from the oldest retained event; the caller closes it. */
  reader(): EventsReader {
    return new EventsReader(this);
  }

  /**
   * The largest valid seq in the log (lines that do not parse or whose seq is
   * not a positive integer are skipped), read a chunk at a time; 0 if none.
   */
  lastSeq(): number {
    const reader = this.reader();
    try {
      return reader.lastSeq();
    } finally {
      reader.close();
    }
  }

  /** True if some retained event satisfies `test`; reads a chunk at a time and stops at the first. */
  some(test: (event: CcxEvent) => boolean): boolean {
    const reader = this.reader();
    try {
      for (let batch = reader.next(); batch.length > 0; batch = reader.next()) if (batch.some(test)) return true;
      return false;
    } finally {
      reader.close();
    }
  }
}
