import { DAEMON_LOG_MAX_BYTES, DEFAULT_OUTPUT_LOG_BYTES, currentPathEnv, effectiveVersion, resolvePaths } from '@ccx/shared';
import { badEnvOverride } from './config/settings.js';
import { DAEMON_EXIT } from './daemon-exit.js';
import { FileLogger } from './logger.js';
import { closeInheritedFds } from './process/inherited-fds.js';
import { SESSION_ENV_MARKER } from './process/session-marker.js';
import { enterStartGate } from './start-gate.js';

/**
 * Entry of the daemon process: `node main.js run [--foreground]`. Started
 * detached by the CLI, or in the foreground by `ccx daemon run` (systemd,
 * launchd). Only wiring lives here.
 */
export async function main(argv: string[]): Promise<number> {
  // First, before anything can spawn: what the caller leaked must reach no session.
  const inheritedFds = closeInheritedFds();
  const foreground = argv.includes('--foreground');
  const pathEnv = currentPathEnv();
  const paths = resolvePaths(pathEnv);
  const logger = new FileLogger(paths.daemonLog, DAEMON_LOG_MAX_BYTES, foreground && !!process.stderr.isTTY);
  // A setting the user gave and the daemon cannot use is refused, not ignored:
  // the CLI that started this daemon reports its last log line.
  let outputLogBytes: number;
  try {
    outputLogBytes = outputLogBytesFrom(process.env.CCX_OUTPUT_LOG_BYTES);
    const bad = badEnvOverride(process.env);
    if (bad) throw new Error(bad);
  } catch (error) {
    const message = `cannot start: ${(error as Error).message}`;
    logger.error(message);
    process.stderr.write(`ccx daemon: ${message}\n`);
    return DAEMON_EXIT.FATAL;
  }
  const gate = enterStartGate(paths, pathEnv.uid, logger);
  if (typeof gate === 'number') return gate;
  if (inheritedFds.length) logger.info('closed file descriptors inherited from the caller', { fds: inheritedFds });
  try {
    // Loaded only once the lock is ours: the heavy part of the daemon (see start-gate.ts).
    const { Daemon } = await import('./daemon.js');
    // A malloc tuning meant for the daemon (see the CLI's daemon spawner), not for the programs it starts.
    // A session marker inherited from the session that started this daemon
    // (for another home) is not this daemon's: its sessions get their own.
    delete process.env[SESSION_ENV_MARKER];
    const { MALLOC_MMAP_THRESHOLD_: _daemonOnly, ...env } = process.env;
    const daemon = new Daemon({ paths, version: effectiveVersion(), env, logger, outputLogBytes, uid: pathEnv.uid });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void daemon.stop(signal));
    // The daemon outlives the terminal that started it.
    process.on('SIGHUP', () => logger.info('ignoring SIGHUP'));
    // As tmux: SIGUSR1 re-creates a socket file that was removed (the daemon also notices that itself within seconds).
    // A listener takes SIGUSR1 from Node, which otherwise opens the inspector on it: a daemon started
    // with --inspect-port (the stress drills' full GCs) keeps Node's meaning.
    if (!inspectorRequested()) process.on('SIGUSR1', () => void daemon.recreateSocket('SIGUSR1'));
    // Last line of defence: a bug in one handler must not take every session down.
    process.on('uncaughtException', (error) => logger.error('uncaught exception', { error: String(error.stack ?? error) }));
    process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error: String((error as Error)?.stack ?? error) }));

    return await daemon.serve();
  } finally {
    gate.release();
  }
}

/** Whether Node was asked for an inspector (--inspect*, on the command line or in NODE_OPTIONS). */
function inspectorRequested(): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg.startsWith('--inspect'));
}

/** Smallest output log segment accepted from CCX_OUTPUT_LOG_BYTES: one output chunk. */
const MIN_OUTPUT_LOG_BYTES = 64 * 1024;

/**
 * Per-segment cap of session output logs, from CCX_OUTPUT_LOG_BYTES (bytes;
 * suffixes k, m, g in powers of 1024). Throws on a value it cannot use.
 */
export function outputLogBytesFrom(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_OUTPUT_LOG_BYTES;
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(value.trim());
  const bytes = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_OUTPUT_LOG_BYTES) {
    throw new Error(`CCX_OUTPUT_LOG_BYTES=${value} is not a size of at least 64k: give bytes or k/m/g, e.g. 256m, or unset it`);
  }
  return bytes;
}

const entry = process.argv[1] ?? '';
if (entry.endsWith('/daemon/dist/main.js') || entry.endsWith('\\daemon\\dist\\main.js')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`ccx daemon: ${String(error?.stack ?? error)}\n`);
      process.exit(1);
    },
  );
}
