import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionRecord } from '../session/session-record.js';
import { writeFileAtomic } from './atomic-file.js';
import { foreignRecordReason } from './record-owner.js';

/** Name prefix of a session directory being removed; never a session id (ids are base32). */
const TRASH_PREFIX = '.removing-';

/** One directory per session: `meta.json` plus its output log segments. */
export class SessionStore {
  constructor(
    private readonly root: string,
    /** Records not owned by this uid are never loaded (see record-owner.ts). */
    private readonly uid: number = typeof process.getuid === 'function' ? process.getuid() : -1,
  ) {}

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

  /**
   * Every readable record; an unreadable one is reported, not fatal. A
   * directory without meta.json goes to `onIncomplete` (the daemon died, or
   * the disk was full, before its first save); what an interrupted removal
   * left is deleted. One another user owns (or a symlink) goes to
   * `onForeign` and is left alone: neither loaded, reaped nor removed.
   */
  loadAll(
    onError: (id: string, error: unknown) => void,
    onIncomplete: (id: string) => void = () => {},
    onForeign: (id: string, reason: string) => void = () => {},
  ): SessionRecord[] {
    let ids: string[];
    try {
      ids = readdirSync(this.root);
    } catch {
      return [];
    }
    const records: SessionRecord[] = [];
    for (const id of ids) {
      if (id.startsWith(TRASH_PREFIX)) {
        rmSync(join(this.root, id), { recursive: true, force: true });
        continue;
      }
      const foreign = foreignRecordReason(this.dirOf(id), this.uid);
      if (foreign) {
        onForeign(id, foreign);
        continue;
      }
      try {
        records.push(JSON.parse(readFileSync(join(this.dirOf(id), 'meta.json'), 'utf8')) as SessionRecord);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') onIncomplete(id);
        else onError(id, error);
      }
    }
    return records;
  }

  /**
   * Renames the directory away first, then deletes it: a crash part-way
   * through a recursive delete left a directory without meta.json (or a
   * meta.json without its logs); a rename is all or nothing.
   */
  remove(id: string): void {
    const trash = join(this.root, `${TRASH_PREFIX}${id}`);
    try {
      renameSync(this.dirOf(id), trash);
    } catch {
      rmSync(this.dirOf(id), { recursive: true, force: true });
      return;
    }
    rmSync(trash, { recursive: true, force: true });
  }
}
