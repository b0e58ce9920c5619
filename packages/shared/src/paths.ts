import { mkdirSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CcxError } from './errors.js';
import { MAX_SOCKET_PATH_BYTES } from './limits.js';
import { assertTrustedPaths } from './path-trust.js';

/** Every location ccx reads or writes, resolved once per process. */
export interface CcxPaths {
  /** `CCX_HOME` when set: it is checked like the state dir (owned by you, not writable by others). */
  home?: string;
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
    home: home || undefined,
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
      'E_SETUP',
      `socket path is ${bytes} bytes long, more than the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows: ${socketPath}`,
      'set CCX_HOME (or XDG_RUNTIME_DIR) to a shorter directory, e.g. CCX_HOME=$(mktemp -d /tmp/ccx.XXXX)',
    );
  }
}

/**
 * Creates the runtime and state directories with safe modes, refusing any
 * path another user could reach into (see path-trust.ts), before creating
 * anything through it and again after.
 */
export function preparePaths(paths: CcxPaths, uid: number, platform: NodeJS.Platform = process.platform): void {
  checkSocketPathLength(paths.socketPath, platform);
  assertTrustedPaths(paths, uid, platform);
  for (const dir of [paths.runtimeDir, paths.stateDir, paths.sessionsDir]) makeDir(dir);
  assertTrustedPaths(paths, uid, platform);
}

/** mkdir -p with mode 0700; a failure is the user's setup, never a bug: it says which path and what to do. */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw setupErrorFor(dir, error as NodeJS.ErrnoException);
  }
}

/** Maps a failed file-system call on one of ccx's own paths to E_PERMISSION or E_SETUP. */
export function setupErrorFor(path: string, error: NodeJS.ErrnoException): CcxError {
  const where = error.path && error.path !== path ? `${error.path} (for ${path})` : path;
  switch (error.code) {
    case 'EACCES':
    case 'EPERM':
      return new CcxError('E_PERMISSION', `cannot create ${where}: permission denied`, `make the directory writable by you (chmod u+w ${error.path ?? path}), or set CCX_HOME to a directory of your own`);
    case 'EROFS':
      return new CcxError('E_PERMISSION', `cannot create ${where}: read-only file system`, 'set CCX_HOME to a directory on a writable file system');
    case 'ENOTDIR':
    case 'EEXIST':
      return new CcxError('E_SETUP', `cannot create ${where}: a file is in the way`, `move the file away (mv ${error.path ?? path} ${error.path ?? path}.old), or set CCX_HOME to another directory`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new CcxError('E_SETUP', `cannot create ${where}: no space left`, 'free some space on that file system, or set CCX_HOME to another one');
    default:
      return new CcxError('E_SETUP', `cannot create ${where}: ${error.code ?? error.message}`, 'set CCX_HOME to another directory');
  }
}

/** node-ipc turns a bare name into `\\.\pipe\name` on Windows itself. */
export function ipcAddress(paths: CcxPaths, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? paths.socketPath.replace(/^\\\\\.\\pipe\\/, '') : paths.socketPath;
}
