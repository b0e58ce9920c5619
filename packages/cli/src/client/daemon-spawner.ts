import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { preparePaths, setupErrorFor, type CcxPaths } from '@ccx/shared';

/** Path of the daemon's entry module, found through the workspace dependency. */
export function daemonEntry(): string {
  return fileURLToPath(import.meta.resolve('@ccx/daemon'));
}

/**
 * The daemon's environment: the caller's, less a session marker (a daemon
 * started from inside a session, for another home, is not part of that
 * session: its cancel must leave this daemon and its sessions alone).
 */
export function daemonEnv(callerEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // glibc raises its mmap threshold once a large buffer is freed and from
  // then on serves large buffers from heaps it never gives back: after a
  // burst of 1 MiB frames the daemon kept ~50 MiB it no longer used (RSS
  // after GC 75 -> 128 MiB in the fuzz drill; 80 MiB with a fixed
  // threshold). The daemon keeps this out of its sessions' environment.
  const { CCX_SESSION_ID: _notOurs, ...env } = callerEnv;
  return { MALLOC_MMAP_THRESHOLD_: String(128 * 1024), ...env };
}

/** Starts `ccxd` detached from this process, its output appended to the daemon log. */
export function startDaemonProcess(paths: CcxPaths): ChildProcess {
  preparePaths(paths, typeof process.getuid === 'function' ? process.getuid() : -1);
  const log = openDaemonLog(paths.daemonLog);
  try {
    const child = spawn(process.execPath, [daemonEntry(), 'run'], {
      detached: true,
      stdio: ['ignore', log, log],
      env: daemonEnv(process.env),
      // The daemon must not keep the caller's directory busy.
      cwd: existsSync('/') ? '/' : undefined,
      windowsHide: true,
    });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** Never through a symlink (O_NOFOLLOW): preparePaths refused one, and one made since is refused here. */
function openDaemonLog(file: string): number {
  try {
    return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    throw setupErrorFor(file, error as NodeJS.ErrnoException);
  }
}
