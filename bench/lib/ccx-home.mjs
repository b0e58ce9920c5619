// A ccx installation under a fresh temp CCX_HOME (the testkit's home): runs
// the real CLI timed, opens protocol connections for the bench's own control
// traffic, and on cleanup stops its daemon the way a user would (`ccx daemon
// stop`, then by pid if it lingers) before the testkit's cleanup ends what is
// left by pid and removes the directory.
import { spawn } from 'node:child_process';
import { CCX_BIN, Client, isAlive, makeHome, waitFor } from '../../packages/testkit/dist/index.js';
import { timeOk, timeRun } from './proc.mjs';

export class CcxHome {
  /** @param {import('../../packages/testkit/dist/index.js').PidRegistry} pids */
  constructor(pids, parentDir) {
    this.pids = pids;
    // Short names: the socket path under it must stay below ~104 bytes.
    this.home = makeHome('h-', parentDir);
    this.dir = this.home.dir;
    this.env = this.home.env;
    this.paths = this.home.paths;
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
    return this.home.daemonPid();
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
    await this.home.cleanup();
  }
}

/** The environment sessions get: the bench's own, minus what would make shells slow or chatty. */
export function sessionEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CCX_')) env[k] = v;
  env.TERM = 'xterm-256color';
  return env;
}
