/**
 * Runs `spawn` with the process umask set to `mask`, restoring it at once.
 * node-pty has no umask option; its spawn forks synchronously (forkpty in
 * the native part), so the child inherits the mask set here and no other
 * JavaScript runs before it is restored. Files the daemon itself creates in
 * that window (libuv's thread pool) all ask for private modes (0600/0700),
 * which no umask can widen. Wrapping the command in `sh -c 'umask …; exec'`
 * would do the same without touching the daemon, but shows a shell in `ps`
 * for an instant and needs /bin/sh.
 */
export function withUmask<T>(mask: number | undefined, spawn: () => T): T {
  if (mask === undefined || process.platform === 'win32') return spawn();
  const previous = process.umask(mask);
  try {
    return spawn();
  } finally {
    process.umask(previous);
  }
}
