import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { assertTrustedPaths, CcxError, checkSocketPathLength, DAEMON_START_TIMEOUT_MS, isProcessAlive, readLockHolder, type CcxPaths } from '@ccx/shared';
import { ConnectError, DaemonConnection, openSocket, type ReadingSocket, type SocketReads } from './ipc-client.js';

export interface ClientEnv {
  paths: CcxPaths;
  version: string;
  uid: number;
}

const POLL_MS = 25;
/** A daemon that lost the start lock exits 0 and is replaced only if the winner died too; never more than this. */
const MAX_SPAWNS = 3;

/**
 * Connects to a running daemon; undefined when none is listening. The
 * daemon's rules for its directories and socket are applied first (and again
 * once connected, before anything is sent): a socket another user planted
 * would otherwise receive the caller's environment and webhook secrets.
 */
export async function tryConnect(env: ClientEnv): Promise<DaemonConnection | undefined> {
  const socket = await openTrustedSocket(env, 'views');
  return socket && DaemonConnection.over(socket, env.version);
}

/**
 * The daemon's socket, connected only after its directories and the socket
 * pass the daemon's own rules, and checked again once connected; undefined
 * when no daemon listens. `tryConnect` greets over it; `daemon dial-stdio`
 * bridges it to ssh as it is.
 */
export async function openTrustedSocket(env: ClientEnv, reads: SocketReads = 'owned'): Promise<ReadingSocket | undefined> {
  const verify = (): void => {
    checkSocketPathLength(env.paths.socketPath);
    assertTrustedPaths(env.paths, env.uid);
  };
  verify();
  let socket: ReadingSocket;
  try {
    socket = await openSocket(env.paths.socketPath, undefined, reads);
  } catch (error) {
    if (error instanceof ConnectError) {
      if (error.reason === 'absent' || error.reason === 'refused') return undefined;
      if (error.reason === 'denied') throw new CcxError('E_PERMISSION', error.message, 'the socket belongs to another user; set CCX_HOME to a directory of your own');
      throw new CcxError('E_DAEMON_UNAVAILABLE', error.message, 'the daemon may be stuck: ccx daemon restart');
    }
    throw error;
  }
  try {
    verify();
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return socket;
}

/**
 * Connects, starting the daemon first when none runs — the way nx's client
 * does: spawn detached with output to the daemon log, then poll the socket
 * with a deadline. Never waits forever.
 */
export async function connectOrStart(env: ClientEnv, timeoutMs = startTimeoutMs()): Promise<DaemonConnection> {
  const existing = await tryConnect(env);
  if (existing) return existing;
  const deadline = Date.now() + timeoutMs;
  let starter: DaemonStarter | undefined;
  let spawned = 0;
  for (;;) {
    // A live start-lock holder is a daemon starting up for another caller
    // (20 CLIs called at once): wait for it rather than spawn one more.
    if (!starter && spawned < MAX_SPAWNS && !startLockHolderAlive(env.paths)) {
      starter = await DaemonStarter.spawn(env.paths);
      spawned++;
    }
    await sleep(POLL_MS);
    const conn = await tryConnect(env);
    if (conn) {
      starter?.abandonUnless(conn.daemonPid);
      return conn;
    }
    if (starter?.failed) break;
    // Exit 0 means another daemon won the start lock: wait for that one instead.
    if (starter?.exited) starter = undefined;
    if (Date.now() >= deadline) break;
  }
  throw new CcxError(
    'E_DAEMON_UNAVAILABLE',
    starter?.failed
      ? `the daemon could not start (exit ${starter.exitCode})${lastLogLine(env.paths)}`
      : `the daemon did not become ready within ${timeoutMs} ms${lastLogLine(env.paths)}`,
    `see its log: ${env.paths.daemonLog}; or run it in the foreground: ccx daemon run`,
  );
}

/** A daemon process this CLI spawned, and how it ended if it did. */
class DaemonStarter {
  exitCode: number | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.once('exit', (code) => (this.exitCode = code ?? 1));
  }

  static async spawn(paths: CcxPaths): Promise<DaemonStarter> {
    // Loaded only here: child_process is not needed when a daemon already runs.
    const { startDaemonProcess } = await import('./daemon-spawner.js');
    return new DaemonStarter(startDaemonProcess(paths));
  }

  /**
   * Another daemon answered: ours can only lose the start lock, but one still
   * loading Node when a `daemon stop` comes would then find the lock free and
   * start a daemon nobody asked for. It is ended now, by its pid.
   */
  abandonUnless(servingPid: number): void {
    if (this.exitCode === null && this.child.pid !== servingPid) this.child.kill('SIGTERM');
  }

  get exited(): boolean {
    return this.exitCode !== null;
  }

  get failed(): boolean {
    return this.exitCode !== null && this.exitCode !== 0;
  }
}

function startLockHolderAlive(paths: CcxPaths): boolean {
  const holder = readLockHolder(paths.lockFile);
  return holder !== undefined && isProcessAlive(holder);
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
