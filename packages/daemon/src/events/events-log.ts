import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import type { CcxEvent } from '@ccx/shared';
import { appendLine } from '../store/append-line.js';

/**
 * Append-only JSON-lines log of persisted events, so a follower can resume
 * with `--since SEQ`. Rotated to `<file>.1` past `maxBytes`; one rotated file
 * is kept, so the oldest retained seq moves forward over time.
 */
export class EventsLog {
  private bytes = 0;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
  ) {
    try {
      this.bytes = statSync(file).size;
    } catch {
      this.bytes = 0;
    }
  }

  append(event: CcxEvent): void {
    const line = JSON.stringify(event) + '\n';
    if (this.bytes > 0 && this.bytes + line.length > this.maxBytes) {
      renameSync(this.file, `${this.file}.1`);
      this.bytes = 0;
    }
    this.bytes = appendLine(this.file, line, this.bytes);
  }

  /** Every retained event, oldest first. Torn last lines (a crash mid-write) are skipped. */
  readAll(): CcxEvent[] {
    const events: CcxEvent[] = [];
    for (const file of [`${this.file}.1`, this.file]) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          events.push(JSON.parse(line) as CcxEvent);
        } catch {
          // A line cut short by a crash: everything before it is still good.
        }
      }
    }
    return events;
  }

  lastSeq(): number {
    const all = this.readAll();
    return all.length ? all[all.length - 1]!.seq : 0;
  }
}
