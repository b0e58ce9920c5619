// A drill's world: a fresh CCX_HOME, the real CLI, the real daemon, and a
// cleanup that ends every process started for it (by pid) and removes every
// mount and file it made.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call } from '../../packages/testkit/dist/index.js';
import { isAlive, processesOfHome, sleep } from './procs.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CCX_BIN = join(ROOT, 'packages', 'cli', 'bin', 'ccx');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** Homes not yet cleaned up, so an interrupted run (Ctrl-C, timeout) can still clean up. */
const liveHomes = new Set();

export async function cleanupAllHomes() {
  await Promise.all([...liveHomes].map((h) => h.cleanup()));
}

export function makeHome(prefix = 'ccxs-') {
  // Short: the socket path must stay under ~104 bytes.
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = { ...process.env, CCX_HOME: dir, NO_COLOR: '1' };
  delete env.XDG_RUNTIME_DIR;
  delete env.CCX_VERSION_OVERRIDE;
  const children = new Set();
  const mounts = [];
  const stateDir = join(dir, 'state');
  const socketPath = join(dir, 'run', 'ccxd.sock');
  const registryFile = join(stateDir, 'daemon.json');

  const home = {
    dir,
    env,
    stateDir,
    socketPath,
    sessionsDir: join(stateDir, 'sessions'),

    daemonPid() {
      try {
        return JSON.parse(readFileSync(registryFile, 'utf8')).pid;
      } catch {
        return undefined;
      }
    },

    /** Runs `ccx ...args`; resolves with code, stdout, stderr and how long it took. */
    ccx(args, opts = {}) {
      const started = performance.now();
      return new Promise((resolve) => {
        const child = execFile(
          process.execPath,
          [CCX_BIN, ...args],
          { env: { ...env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', killSignal: 'SIGKILL' },
          (error, stdout, stderr) => {
            children.delete(child);
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout, stderr, ms: performance.now() - started });
          },
        );
        children.add(child);
        child.stdin?.end(opts.input ?? '');
      });
    },

    /** Starts `ccx ...args` as a long-running child (followers). */
    spawnCcx(args, opts = {}) {
      const child = spawn(process.execPath, [CCX_BIN, ...args], { env: { ...env, ...opts.env }, stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      child.on('exit', () => children.delete(child));
      child.on('error', () => {});
      return child;
    },

    async startDaemon() {
      const r = await home.ccx(['daemon', 'start', '--json']);
      if (r.code !== 0) throw new Error(`daemon start failed: ${r.stderr}`);
      return home.daemonPid();
    },

    status() {
      return call(socketPath, 'daemon.status', {}, 30_000);
    },

    /** Mounts a tmpfs of `size` at `path` (inside this home); false when mounting is not possible. */
    mountTmpfs(path, size) {
      mkdirSync(path, { recursive: true, mode: 0o700 });
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', path], { encoding: 'utf8' });
      if (r.status !== 0) return false;
      mounts.push(path);
      return true;
    },

    unmount(path) {
      const i = mounts.indexOf(path);
      if (i < 0) return;
      let r = spawnSync('umount', [path], { encoding: 'utf8' });
      // Still busy (a process we could not end holds a file there): detach it lazily rather than leave it mounted.
      if (r.status !== 0) r = spawnSync('umount', ['-l', path], { encoding: 'utf8' });
      if (r.status === 0) mounts.splice(i, 1);
      return r.status === 0;
    },

    /** Session directories on disk (ids). */
    sessionDirs() {
      try {
        return readdirSync(join(stateDir, 'sessions'));
      } catch {
        return [];
      }
    },

    async cleanup() {
      liveHomes.delete(home);
      for (const child of children) child.kill('SIGKILL');
      const pid = home.daemonPid();
      // The daemon first and gracefully, so it ends its sessions itself.
      if (pid && isAlive(pid)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {}
        const deadline = Date.now() + 15_000;
        while (isAlive(pid) && Date.now() < deadline) await sleep(50);
      }
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
      if (mounts.length === 0) rmSync(dir, { recursive: true, force: true });
    },
  };
  liveHomes.add(home);
  return home;
}

/** Reads a session's whole output log from disk (all retained segments). */
export function outputOnDisk(home, sessionId) {
  const dir = join(home.sessionsDir, sessionId);
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => /^output-\d+\.log$/.test(f)).sort();
  } catch {
    return Buffer.alloc(0);
  }
  return Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
}

/** A session's meta.json from disk, or undefined if absent or unreadable. */
export function metaOnDisk(home, sessionId) {
  try {
    return JSON.parse(readFileSync(join(home.sessionsDir, sessionId, 'meta.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Lines of the daemon's own log (current and rotated), parsed. */
export function daemonLog(home) {
  const out = [];
  for (const f of ['daemon.log.1', 'daemon.log']) {
    let text = '';
    try {
      text = readFileSync(join(home.stateDir, f), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        out.push({ level: 'torn', msg: line.slice(0, 200) });
      }
    }
  }
  return out;
}

/** Log lines that mean a bug escaped a handler: each counts as a crash the process survived. */
export function crashLines(home) {
  return daemonLog(home).filter((l) => /uncaught exception|unhandled rejection|handler failed|stream handler failed/.test(l.msg ?? ''));
}
