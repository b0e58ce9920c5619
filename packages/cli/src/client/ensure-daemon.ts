import { readFileSync } from 'node:fs';
import { CcxError, DAEMON_START_TIMEOUT_MS, type CcxPaths } from '@ccx/shared';
import { ConnectError, DaemonConnection } from './ipc-client.js';

export interface ClientEnv {
  paths: CcxPaths;
  version: string;
  uid: number;
}

const POLL_MS = 25;

/** Connects to a running daemon; undefined when none is listening. */
export async function tryConnect(env: ClientEnv): Promise<DaemonConnection | undefined> {
  try {
    return await DaemonConnection.open(env.paths.socketPath, env.version);
  } catch (error) {
    if (error instanceof ConnectError) {
      if (error.reason === 'absent' || error.reason === 'refused') return undefined;
      if (error.reason === 'denied') throw new CcxError('E_PERMISSION', error.message, 'the socket belongs to another user; set CCX_HOME to a directory of your own');
      throw new CcxError('E_DAEMON_UNAVAILABLE', error.message, 'the daemon may be stuck: ccx daemon restart');
    }
    throw error;
  }
}

/**
 * Connects, starting the daemon first when none runs — the way nx's client
 * does: spawn detached with output to the daemon log, then poll the socket
 * with a deadline. Never waits forever.
 */
export async function connectOrStart(env: ClientEnv, timeoutMs = startTimeoutMs()): Promise<DaemonConnection> {
  const existing = await tryConnect(env);
  if (existing) return existing;
  // Loaded only here: child_process is not needed when a daemon already runs.
  const { startDaemonProcess } = await import('./daemon-spawner.js');
  const child = startDaemonProcess(env.paths);
  let exitCode: number | null = null;
  child.once('exit', (code) => (exitCode = code ?? 1));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    const conn = await tryConnect(env);
    if (conn) return conn;
    // Exit 0 means another daemon won the start lock: keep polling for it.
    if (exitCode !== null && exitCode !== 0) break;
  }
  throw new CcxError(
    'E_DAEMON_UNAVAILABLE',
    exitCode !== null && exitCode !== 0
      ? `the daemon could not start (exit ${exitCode})${lastLogLine(env.paths)}`
      : `the daemon did not become ready within ${timeoutMs} ms${lastLogLine(env.paths)}`,
    `see its log: ${env.paths.daemonLog}; or run it in the foreground: ccx daemon run`,
  );
}

function startTimeoutMs(): number {
  const fromEnv = Number(process.env.CCX_START_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DAEMON_START_TIMEOUT_MS;
}

function lastLogLine(paths: CcxPaths): string {
  try {
    const lines = readFileSync(paths.daemonLog, 'utf8').trimEnd().split('\n');
    const last = lines[lines.length - 1];
    return last ? `; last log line: ${last.slice(0, 300)}` : '';
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
