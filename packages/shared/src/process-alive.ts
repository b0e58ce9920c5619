import { readProcStat } from './procfs.js';

/** True when /proc says the process has exited and only waits to be reaped. */
export function isZombie(pid: number): boolean {
  return readProcStat(pid)?.state === 'Z';
}

/**
 * Signal 0 checks existence (EPERM: it exists but is not ours). A zombie has
 * exited: it only waits for a parent to reap it, which a container's init may
 * never do, so it counts as dead.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}
