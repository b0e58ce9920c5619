/**
 * A ccx home for a test, a drill or the bench: a fresh temp CCX_HOME, the
 * real CLI run as a child process, the real daemon it starts, and a cleanup
 * that ends every process started for it by pid (tracked ones, then any left
 * that carries the home's CCX_HOME marker) and removes every mount and file.
 */
import { execFile, spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { currentPathEnv, resolvePaths, type CcxPaths } from '@ccx/shared';
import type { DaemonStatus } from '@ccx/shared';
import { CCX_BIN } from './paths.js';
import { carriesHome, isAlive, PidRegistry, processesOfHome } from './procs.js';
import { call } from './protocol-client.js';
import { sleep } from './wait.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit (set by Home.ccx). */
  ms?: number;
}

export interface CcxRunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface Home {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The home's paths as ccx itself resolves them. */
  paths: CcxPaths;
  stateDir: string;
  socketPath: string;
  sessionsDir: string;
  /** Runs `ccx ...args` against this home's daemon. */
  ccx(args: string[], opts?: CcxRunOptions): Promise<RunResult>;
  /** Starts `ccx ...args` and returns the child (for followers, attach). */
  spawnCcx(args: string[], opts?: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions }): ChildProcess;
  /** Pid of the daemon that currently owns this home, from its registry file (daemon.json). */
  daemonPid(): number | undefined;
  /** Remembers a pid to kill in teardown. */
  track(pid: number | null | undefined): void;
  /** `ccx daemon start --json`; resolves with the daemon's pid. */
  startDaemon(): Promise<number | undefined>;
  /** `daemon.status` over the protocol. */
  status(): Promise<DaemonStatus>;
  /** Mounts a tmpfs of `size` at `path` (inside this home); false when mounting is not possible (needs root). */
  mountTmpfs(path: string, size: string): boolean;
  unmount(path: string): boolean | undefined;
  /** Session directories on disk (ids). */
  sessionDirs(): string[];
  /** Ends the daemon (gracefully first) and everything started for this home, by pid, and removes the dir. */
  cleanup(): Promise<void>;
}

/** How long cleanup lets the daemon end its sessions itself after SIGTERM. */
const DAEMON_GRACE_MS = 15_000;

/**
 * Homes not yet cleaned up. If a run ends without its teardown (killed by a
 * timeout, Ctrl-C), `cleanupAllHomes` or the exit hook still ends their
 * processes by pid, so no flooding session outlives an aborted run. One per
 * process on purpose: the process's exit is what it guards.
 */
const liveHomes = new Set<Home>();
const killNow = new Map<Home, () => void>();

export async function cleanupAllHomes(): Promise<void> {
  await Promise.all([...liveHomes].map((h) => h.cleanup()));
}

/** On exit (and SIGINT/SIGTERM/SIGHUP, as exit 130), SIGKILLs every live home's daemon and tracked pids. For test files. */
export function killHomesOnExit(): void {
  process.once('exit', () => {
    for (const kill of killNow.values()) kill();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));
}

/** Environment for a CLI of this home: no colour, no TTY assumptions, nothing inherited that points elsewhere. */
export function homeEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CCX_HOME: dir, NO_COLOR: '1' };
  delete env.XDG_RUNTIME_DIR;
  delete env.CCX_VERSION_OVERRIDE;
  return env;
}

/** The pid in a home's daemon.json, or undefined when there is none (yet). */
export function readDaemonPid(paths: CcxPaths): number | undefined {
  try {
    return (JSON.parse(readFileSync(paths.registryFile, 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

export function makeHome(prefix = 'ccxt-', parentDir = tmpdir()): Home {
  // Short names: the socket path must stay under ~104 bytes.
  const dir = mkdtempSync(join(parentDir, prefix));
  const env = homeEnv(dir);
  const paths = resolvePaths({ ...currentPathEnv(), env });
  const pids = new PidRegistry();
  const children = new Set<ChildProcess>();
  const mounts: string[] = [];
  const daemonPid = (): number | undefined => readDaemonPid(paths);

  const home: Home = {
    dir,
    env,
    paths,
    stateDir: paths.stateDir,
    socketPath: paths.socketPath,
    sessionsDir: paths.sessionsDir,

    ccx(args, opts = {}) {
      const started = performance.now();
      return new Promise<RunResult>((resolve) => {
        const child = execFile(
          process.execPath,
          [CCX_BIN, ...args],
          { env: { ...env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', killSignal: 'SIGKILL' },
          (error, stdout, stderr) => {
            children.delete(child);
            // Reaped: its pid may be reused by now, so teardown must not kill it.
            pids.forget(child.pid);
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout, stderr, ms: performance.now() - started });
          },
        );
        children.add(child);
        pids.track(child.pid);
        child.stdin?.end(opts.input ?? '');
        pids.track(daemonPid());
      }).then((r) => {
        pids.track(daemonPid());
        return r;
      });
    },

    spawnCcx(args, opts = {}) {
      const child = spawn(process.execPath, [CCX_BIN, ...args], { env: { ...env, ...opts.env }, stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      pids.track(child.pid);
      child.once('exit', () => {
        children.delete(child);
        pids.forget(child.pid);
      });
      child.on('error', () => {});
      return child;
    },

    daemonPid,

    track(pid) {
      pids.track(pid ?? undefined);
    },

    async startDaemon() {
      const r = await home.ccx(['daemon', 'start', '--json']);
      if (r.code !== 0) throw new Error(`daemon start failed: ${r.stderr}`);
      return daemonPid();
    },

    status() {
      return call<DaemonStatus>(paths.socketPath, 'daemon.status', {}, 30_000);
    },

    mountTmpfs(path, size) {
      mkdirSync(path, { recursive: true, mode: 0o700 });
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', path], { encoding: 'utf8' });
      if (r.status !== 0) return false;
      mounts.push(path);
      return true;
    },

    unmount(path) {
      const i = mounts.indexOf(path);
      if (i < 0) return undefined;
      let r = spawnSync('umount', [path], { encoding: 'utf8' });
      // Still busy (a process we could not end holds a file there): detach it lazily rather than leave it mounted.
      if (r.status !== 0) r = spawnSync('umount', ['-l', path], { encoding: 'utf8' });
      if (r.status === 0) mounts.splice(i, 1);
      return r.status === 0;
    },

    sessionDirs() {
      try {
        return readdirSync(home.sessionsDir);
      } catch {
        return [];
      }
    },

    async cleanup() {
      liveHomes.delete(home);
      killNow.delete(home);
      for (const child of children) child.kill('SIGKILL');
      // daemon.json may name a daemon long gone whose pid another test's daemon has now: only this home's is signalled.
      const recorded = daemonPid();
      const pid = recorded && carriesHome(recorded, dir) ? recorded : undefined;
      // The daemon first and gracefully, so it ends its sessions' processes itself.
      if (pid && isAlive(pid)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {}
        const deadline = Date.now() + DAEMON_GRACE_MS;
        while (isAlive(pid) && Date.now() < deadline) await sleep(50);
      }
      pids.track(pid);
      pids.killLeftovers();
      // Anything left that was started for this home (found by its CCX_HOME marker), by pid.
      for (let pass = 0; pass < 3; pass++) {
        const left = processesOfHome(dir);
        if (left.length === 0) break;
        for (const p of left) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {}
        }
        await sleep(100);
      }
      for (const m of [...mounts].reverse()) home.unmount(m);
      // Retried: a program ended a moment ago may still be writing its files.
      if (mounts.length === 0) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
  liveHomes.add(home);
  killNow.set(home, () => {
    const daemon = daemonPid();
    for (const p of [daemon && carriesHome(daemon, dir) ? daemon : undefined, ...pids.pids()]) {
      if (!p) continue;
      try {
        process.kill(p, 'SIGKILL');
      } catch {}
    }
  });
  return home;
}
