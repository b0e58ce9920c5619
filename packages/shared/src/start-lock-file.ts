import { readFileSync } from 'node:fs';

/**
 * Pid written in the daemon's start lock file (see the daemon's
 * store/start-lock.ts), or undefined when there is none. The CLI reads it to
 * wait for a daemon that is starting instead of spawning another.
 */
export function readLockHolder(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
