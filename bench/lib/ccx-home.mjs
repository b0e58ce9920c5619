// A ccx installation under a fresh temp CCX_HOME: runs the real CLI, opens
// protocol connections for the bench's own control traffic, and on cleanup
// stops its daemon (`ccx daemon stop`, then by pid if it lingers) and removes
// the directory.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CCX_BIN, importDist } from './paths.mjs';
import { isAlive, sleep, timeOk, timeRun, waitFor } from './proc.mjs';

const { Client } = await importDist('testkit', 'index.js');
const { resolvePaths, currentPathEnv } = await importDist('shared', 'index.js');

export class CcxHome {
  /** @param {import('./proc.mjs').PidRegistry} pids */
  constructor(pids, parentDir) {
    this.pids = pids;
    // Short names: the socket path under it must stay below ~104 bytes.
    this.dir = mkdtempSync(join(parentDir, 'h-'));
    this.env = { ...process.env, CCX_HOME: this.dir, NO_COLOR: '1' };
    delete this.env.XDG_RUNTIME_DIR;
    delete this.env.CCX_VERSION_OVERRIDE;
    this.paths = resolvePaths({ ...currentPathEnv(), env: this.env });
    this.connections = [];
    this.sessionPids = new Set();
  }

  /** Runs `ccx ...args` and times it; throws on a non-zero exit. */
  run(args, opts = {}) {
    return timeOk(this.pids, process.execPath, [CCX_BIN, ...args], { env: this.env, ...opts });
  }

  /** Like run, but returns a failing exit instead of throwing. */
  tryRun(args, opts = {}) {
    return timeRun(this.pids, process.execPath, [CCX_BIN, ...args], { env: this.env, ...opts });
  }

  /** Starts `ccx ...args` as a long-running child (followers, attach). */
  spawn(args, opts = {}) {
    const child = spawn(process.execPath, [CCX_BIN, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.pids.track(child.pid);
    return child;
  }

  daemonPid() {
    try {
      return JSON.parse(readFileSync(this.paths.registryFile, 'utf8')).pid;
    } catch {
      return undefined;
    }
  }

  /** Makes sure a daemon runs (the first command starts it) and tracks its pid. */
  async ensureDaemon() {
    await this.run(['daemon', 'start']);
    this.pids.track(this.daemonPid());
    return this.daemonPid();
  }

  /** A protocol connection (the testkit's client) for the bench's own requests. */
  async connect() {
    const conn = await Client.connect(this.paths.socketPath);
    this.pids.track(conn.daemonPid);
    this.connections.push(conn);
    return conn;
  }

  /** Starts a session over `conn`; remembers its pid so cleanup can end it. */
  async startSession(conn, command, opts = {}) {
    const info = await conn.request('session.start', { command, cwd: this.dir, env: opts.env ?? sessionEnv(), cols: 80, rows: 24, ...opts.params });
    if (info.pid) this.sessionPids.add(info.pid);
    this.pids.track(info.pid);
    return info;
  }

  /** Stops the daemon the way a user would, then makes sure it and its sessions are gone. */
  async stopDaemon() {
    for (const conn of this.connections.splice(0)) conn.close();
    const pid = this.daemonPid();
    if (pid && isAlive(pid)) {
      await this.tryRun(['daemon', 'stop'], { timeoutMs: 20_000 }).catch(() => {});
      await waitFor(() => !isAlive(pid), 10_000, `daemon ${pid} to exit`).catch(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      });
    }
    for (const sessionPid of this.sessionPids) {
      if (isAlive(sessionPid)) {
        try {
          process.kill(sessionPid, 'SIGKILL');
        } catch {}
      }
    }
    this.sessionPids.clear();
  }

  async cleanup() {
    await this.stopDaemon();
    await sleep(20);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The environment sessions get: the bench's own, minus what would make shells slow or chatty. */
export function sessionEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CCX_')) env[k] = v;
  env.TERM = 'xterm-256color';
  return env;
}
