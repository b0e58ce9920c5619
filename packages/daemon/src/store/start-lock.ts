import { linkSync, rmSync, writeFileSync } from 'node:fs';
import { readLockHolder } from '@ccx/shared';
import { isProcessAlive } from '../process/proc.js';

/**
 * The start lock: a file holding the owner's pid, kept for the daemon's whole
 * life. It is put in place with link(2), which is atomic and fails if the file
 * exists, so a reader never sees a half-written lock. Of many daemons started
 * at once (20 CLIs calling at the same time), exactly one gets it; the others
 * exit quietly.
 */
export type LockResult = { acquired: true } | { acquired: false; holder: number };

export function acquireStartLock(file: string, pid = process.pid): LockResult {
  const tmp = `${file}.${pid}.tmp`;
  writeFileSync(tmp, String(pid), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(tmp, file);
        return { acquired: true };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readLockHolder(file);
      if (holder === pid) return { acquired: true };
      if (holder !== undefined && isProcessAlive(holder)) return { acquired: false, holder };
      // The holder died without cleaning up (kill -9): the lock is stale.
      rmSync(file, { force: true });
    }
    return { acquired: false, holder: readLockHolder(file) ?? -1 };
  } finally {
    rmSync(tmp, { force: true });
  }
}

export function releaseStartLock(file: string, pid = process.pid): void {
  if (readLockHolder(file) === pid) rmSync(file, { force: true });
}
