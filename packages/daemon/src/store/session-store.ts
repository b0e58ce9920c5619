import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionRecord } from '../session/session-record.js';
import { writeFileAtomic } from './atomic-file.js';
import { checkRecord } from './record-check.js';
import { foreignRecordReason } from './record-owner.js';

/** Name prefix of a session directory being removed; never a session id (ids are base32). */
const TRASH_PREFIX = '.removing-';
/**
 * Empty file made in a session's directory before its start is acknowledged.
 * It needs no data block, so it exists even when the disk is too full for
 * meta.json: a directory with it and without meta.json belongs to a session
 * a client was told about, which must be listed as lost, never deleted.
 */
const STARTED_MARKER = '.started';

/** What `loadAll` found besides the readable records. */
export interface LoadProblems {
  /** meta.json did not hold a whole record; it was renamed to `setAside` (undefined if even that failed). */
  onUnreadable(id: string, problem: string, setAside: string | undefined): void;
  /** No meta.json: the daemon died, or the disk was full, before its first save. */
  onIncomplete(id: string): void;
  /** Owned by another user, or a symlink: a planted record, never acted on. */
  onForeign?(id: string, reason: string): void;
}

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

  /** Marks the session as acknowledged to its client (see STARTED_MARKER); best effort. */
  markStarted(id: string): void {
    try {
      closeSync(openSync(join(this.dirOf(id), STARTED_MARKER), 'w', 0o600));
    } catch {}
  }

  wasStarted(id: string): boolean {
    return existsSync(join(this.dirOf(id), STARTED_MARKER));
  }

  /**
   * Every readable record. A meta.json that does not parse or does not hold
   * a whole record of its directory is renamed to `meta.json.unreadable-<ms>`
   * (so it is kept for a person to look at, and never read again) and
   * reported; a directory without meta.json is reported as incomplete; what
   * an interrupted removal left is deleted. One another user owns (or a
   * symlink) goes to `onForeign` and is left alone: neither loaded, set
   * aside, reaped nor removed.
   */
  loadAll(problems: LoadProblems): SessionRecord[] {
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
        problems.onForeign?.(id, foreign);
        continue;
      }
      const file = join(this.dirOf(id), 'meta.json');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') problems.onIncomplete(id);
        else if (code !== 'ENOTDIR') problems.onUnreadable(id, String(error), this.setAside(file));
        continue;
      }
      let checked: ReturnType<typeof checkRecord>;
      try {
        checked = checkRecord(JSON.parse(text), id);
      } catch (error) {
        checked = { problem: `not JSON (${(error as Error).message})` };
      }
      if ('record' in checked) records.push(checked.record);
      else problems.onUnreadable(id, checked.problem, this.setAside(file));
    }
    return records;
  }

  /** Renames a bad meta.json out of the way; returns its new name, or undefined if it could not be moved. */
  private setAside(file: string): string | undefined {
    const to = `${file}.unreadable-${Date.now()}`;
    try {
      renameSync(file, to);
      return to;
    } catch {
      return undefined;
    }
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
