import { lstatSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CcxError } from './errors.js';
import { MAX_SOCKET_PATH_BYTES } from './limits.js';

/** Every location ccx reads or writes, resolved once per process. */
export interface CcxPaths {
  /** Holds the socket; private to the user (0700). */
  runtimeDir: string;
  /** What clients connect to: a Unix socket path or a Windows pipe name. */
  socketPath: string;
  stateDir: string;
  configFile: string;
  registryFile: string;
  lockFile: string;
  daemonLog: string;
  sessionsDir: string;
  eventsLog: string;
}

export interface PathEnv {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  uid: number;
  user: string;
  home: string;
  tmp: string;
}

export function currentPathEnv(): PathEnv {
  const info = userInfo();
  return {
    env: process.env,
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : -1,
    user: info.username,
    home: homedir(),
    tmp: tmpdir(),
  };
}

/**
 * Where ccx keeps things. `CCX_HOME` puts everything under one directory
 * (tests use a fresh one each); otherwise the XDG base directories apply.
 */
export function resolvePaths(p: PathEnv = currentPathEnv()): CcxPaths {
  const home = p.env.CCX_HOME;
  const runtimeDir = home
    ? join(home, 'run')
    : p.env.XDG_RUNTIME_DIR
      ? join(p.env.XDG_RUNTIME_DIR, 'ccx')
      : join(p.tmp, `ccx-${p.uid}`);
  const stateDir = home
    ? join(home, 'state')
    : join(p.env.XDG_STATE_HOME || join(p.home, '.local', 'state'), 'ccx');
  const configFile = home
    ? join(home, 'config', 'config.json')
    : join(p.env.XDG_CONFIG_HOME || join(p.home, '.config'), 'ccx', 'config.json');
  const socketPath =
    p.platform === 'win32' ? windowsPipeName(p.user, home ?? stateDir) : join(runtimeDir, 'ccxd.sock');
  return {
    runtimeDir,
    socketPath,
    stateDir,
    configFile,
    registryFile: join(stateDir, 'daemon.json'),
    lockFile: join(stateDir, 'daemon.lock'),
    daemonLog: join(stateDir, 'daemon.log'),
    sessionsDir: join(stateDir, 'sessions'),
    eventsLog: join(stateDir, 'events.log'),
  };
}

/**
 * One pipe per user and per CCX_HOME, so test daemons never meet real ones.
 * FNV-1a rather than node:crypto: loading crypto costs the CLI ~5 ms at start-up.
 */
export function windowsPipeName(user: string, scope: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < scope.length; i++) h = Math.imul(h ^ scope.charCodeAt(i), 0x01000193) >>> 0;
  const hash = h.toString(16).padStart(8, '0');
  const safeUser = user.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `\\\\.\\pipe\\ccx-${safeUser}-${hash}`;
}

export function checkSocketPathLength(socketPath: string, platform: NodeJS.Platform = process.platform): void {
  if (platform === 'win32') return;
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new CcxError(
      'E_USAGE',
      `socket path is ${bytes} bytes long, more than the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows: ${socketPath}`,
      'set CCX_HOME or XDG_RUNTIME_DIR to a shorter directory',
    );
  }
}

/**
 * Creates the runtime directory if needed and refuses one another user could
 * reach into, the way tmux refuses an unsafe socket directory: a socket there
 * could be replaced or connected to by someone else.
 */
export function ensurePrivateDir(dir: string, uid: number, platform: NodeJS.Platform = process.platform): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (platform === 'win32') return;
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) {
    throw new CcxError('E_PERMISSION', `${dir} is not a directory`, `remove it and run ccx again`);
  }
  if (uid >= 0 && st.uid !== uid) {
    throw new CcxError(
      'E_PERMISSION',
      `${dir} is owned by uid ${st.uid}, not by you (uid ${uid})`,
      'another user may control it; set CCX_HOME or XDG_RUNTIME_DIR to a directory of your own',
    );
  }
  if ((st.mode & 0o077) !== 0) {
    throw new CcxError(
      'E_PERMISSION',
      `${dir} has mode ${(st.mode & 0o777).toString(8)}: other users can reach it`,
      `run: chmod 700 ${dir}`,
    );
  }
}

/** Creates the runtime and state directories with safe modes. */
export function preparePaths(paths: CcxPaths, uid: number, platform: NodeJS.Platform = process.platform): void {
  checkSocketPathLength(paths.socketPath, platform);
  ensurePrivateDir(paths.runtimeDir, uid, platform);
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.sessionsDir, { recursive: true, mode: 0o700 });
}

/** node-ipc turns a bare name into `\\.\pipe\name` on Windows itself. */
export function ipcAddress(paths: CcxPaths, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? paths.socketPath.replace(/^\\\\\.\\pipe\\/, '') : paths.socketPath;
}
