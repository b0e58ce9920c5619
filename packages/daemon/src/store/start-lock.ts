import { linkSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readLockHolder } from '@ccx/shared';
import { isProcessAlive } from '../process/proc.js';

/**
 * The start lock, kept for the daemon's whole life. On POSIX it is a
 * symbolic link whose target is the owner's pid, made with symlink(2): atomic,
 * fails if the lock exists, and — unlike writing a file — needs no data
 * block, so a daemon can start on a full disk (the file form failed there
 * with ENOSPC and left `daemon.lock.<pid>.tmp` behind). Where symlinks are
 * not allowed (Windows) it falls back to a temp file linked into place. Of
 * many daemons started at once (20 CLIs calling at the same time), exactly
 * one gets it; the others exit quietly.
 */
export type LockResult = { acquired: true } | { acquired: false; holder: number };

export function acquireStartLock(file: string, pid = process.pid): LockResult {
  removeDeadTempFiles(file);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      placeLock(file, pid);
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
}

function placeLock(file: string, pid: number): void {
  try {
    symlinkSync(String(pid), file);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error;
  }
  const tmp = `${file}.${pid}.tmp`;
  try {
    writeFileSync(tmp, String(pid), { mode: 0o600 });
    linkSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Temp files `<lock>.<pid>.tmp` that a dead daemon left (older versions did, on a full disk). */
function removeDeadTempFiles(file: string): void {
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (m && !isProcessAlive(Number(m[1]))) rmSync(join(dirname(file), name), { force: true });
  }
}

export function releaseStartLock(file: string, pid = process.pid): void {
  if (readLockHolder(file) === pid) rmSync(file, { force: true });
}

/** What to tell the user when the lock cannot be taken, by errno. */
export function startLockHint(error: unknown, stateDir: string): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the file system holding ${stateDir} is full (or out of inodes): free some space`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `${stateDir} is not writable by you: check its owner and mode, or set CCX_HOME to a directory of your own`;
    default:
      return 'remove it if no ccx daemon runs';
  }
}
