import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Pid held by the daemon's start lock (see the daemon's store/start-lock.ts),
 * or undefined when there is none. The lock is a symbolic link whose target
 * is the pid (it needs no data block, so it can be taken on a full disk);
 * a lock file holding the pid, as older daemons wrote, is read too. The CLI
 * reads it to wait for a daemon that is starting instead of spawning another.
 */
export function readLockHolder(file: string): number | undefined {
  let text: string;
  try {
    text = readlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') return undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}
