import { DAEMON_LOG_MAX_BYTES, currentPathEnv, effectiveVersion, resolvePaths } from '@ccx/shared';
import { Daemon } from './daemon.js';
import { FileLogger } from './logger.js';

/**
 * Entry of the daemon process: `node main.js run [--foreground]`. Started
 * detached by the CLI, or in the foreground by `ccx daemon run` (systemd,
 * launchd). Only wiring lives here.
 */
export async function main(argv: string[]): Promise<number> {
  const foreground = argv.includes('--foreground');
  const pathEnv = currentPathEnv();
  const paths = resolvePaths(pathEnv);
  const logger = new FileLogger(paths.daemonLog, DAEMON_LOG_MAX_BYTES, foreground && !!process.stderr.isTTY);
  const daemon = new Daemon({ paths, version: effectiveVersion(), env: process.env, uid: pathEnv.uid, logger });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void daemon.stop(signal));
  // The daemon outlives the terminal that started it.
  process.on('SIGHUP', () => logger.info('ignoring SIGHUP'));
  // Last line of defence: a bug in one handler must not take every session down.
  process.on('uncaughtException', (error) => logger.error('uncaught exception', { error: String(error.stack ?? error) }));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error: String((error as Error)?.stack ?? error) }));

  return daemon.run();
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
