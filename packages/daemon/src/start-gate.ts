import { preparePaths, type CcxError, type CcxPaths } from '@ccx/shared';
import { DAEMON_EXIT } from './daemon-exit.js';
import type { Logger } from './logger.js';
import { acquireStartLock, releaseStartLock, startLockHint } from './store/start-lock.js';

/** Passed the gate: this process owns the home until `release`. */
export interface StartGatePass {
  release(): void;
}

/**
 * What a daemon process does before anything heavy is loaded: prepare the
 * directories (refusing unsafe ones) and take the start lock. When 20 CLIs
 * auto-start at once, 19 daemons lose here and exit after ~0.1 s of CPU
 * instead of each loading xterm, node-pty and zod (~0.3 s of CPU apiece),
 * which on a loaded 2-core machine delayed the winner past the CLI's deadline.
 * Returns the exit code to end with when the gate is shut.
 */
export function enterStartGate(paths: CcxPaths, uid: number, logger: Logger): StartGatePass | number {
  try {
    preparePaths(paths, uid);
  } catch (error) {
    // Not to the daemon log: it lives in the state dir just refused (a symlink
    // into someone else's directory, say). stderr is the spawning CLI's log
    // file, opened after its own checks, or the service manager's journal.
    const hint = (error as CcxError).hint;
    process.stderr.write(`ccx daemon: cannot prepare directories: ${(error as Error).message}${hint ? `\nhint: ${hint}` : ''}\n`);
    return DAEMON_EXIT.FATAL;
  }
  let lock: ReturnType<typeof acquireStartLock>;
  try {
    lock = acquireStartLock(paths.lockFile);
  } catch (error) {
    const message = `cannot take the start lock ${paths.lockFile}: ${(error as Error).message}`;
    const hint = startLockHint(error, paths.stateDir);
    logger.error(message, { hint });
    // One line: the CLI reports the daemon log's last line.
    process.stderr.write(`ccx daemon: ${message}; ${hint}\n`);
    return DAEMON_EXIT.FATAL;
  }
  if (!lock.acquired) {
    logger.info('another daemon holds the start lock; exiting', { holder: lock.holder });
    return DAEMON_EXIT.ALREADY_RUNNING;
  }
  return { release: () => releaseStartLock(paths.lockFile) };
}
