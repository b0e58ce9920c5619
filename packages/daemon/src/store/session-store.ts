import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionRecord } from '../session/session-record.js';
import { writeFileAtomic } from './atomic-file.js';

/** One directory per session: `meta.json` plus its output log segments. */
export class SessionStore {
  constructor(private readonly root: string) {}

  dirOf(id: string): string {
    return join(this.root, id);
  }

  create(id: string): string {
    const dir = this.dirOf(id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  save(record: SessionRecord): void {
    writeFileAtomic(join(this.dirOf(record.id), 'meta.json'), JSON.stringify(record, null, 2) + '\n');
  }

  /** Every readable record; an unreadable one is reported, not fatal. */
  loadAll(onError: (id: string, error: unknown) => void): SessionRecord[] {
    let ids: string[];
    try {
      ids = readdirSync(this.root);
    } catch {
      return [];
    }
    const records: SessionRecord[] = [];
    for (const id of ids) {
      try {
        records.push(JSON.parse(readFileSync(join(this.dirOf(id), 'meta.json'), 'utf8')) as SessionRecord);
      } catch (error) {
        onError(id, error);
      }
    }
    return records;
  }

  remove(id: string): void {
    rmSync(this.dirOf(id), { recursive: true, force: true });
  }
}
