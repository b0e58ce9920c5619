// A private tmux server (own socket, no user config) as the peer ccx is
// compared with. Cleanup: kill-server, then the server pid if it lingers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, waitFor } from '../../packages/testkit/dist/index.js';
import { timeOk, timeRun } from './proc.mjs';

export function tmuxVersion() {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export class TmuxServer {
  constructor(pids, parentDir) {
    this.pids = pids;
    this.dir = mkdtempSync(join(parentDir, 't-'));
    this.socket = join(this.dir, 's');
    this.pid = undefined;
    this.env = { ...process.env, TERM: 'xterm-256color' };
    delete this.env.TMUX;
  }

  /** argv for a tmux client of this server. */
  args(args) {
    return ['-f', '/dev/null', '-S', this.socket, ...args];
  }

  run(args, opts = {}) {
    return timeOk(this.pids, 'tmux', this.args(args), { env: this.env, ...opts });
  }

  tryRun(args, opts = {}) {
    return timeRun(this.pids, 'tmux', this.args(args), { env: this.env, ...opts });
  }

  /** Starts the server with one idle session, which keeps it alive between measurements. */
  async start(command = 'sleep 86400', name = 'keep') {
    await this.run(['new-session', '-d', '-s', name, '-x', '80', '-y', '24', command]);
    this.pid = Number((await this.run(['display-message', '-p', '#{pid}'])).stdout.trim());
    this.pids.track(this.pid);
    return this.pid;
  }

  async cleanup() {
    if (this.pid && isAlive(this.pid)) {
      await this.tryRun(['kill-server'], { timeoutMs: 10_000 }).catch(() => {});
      await waitFor(() => !isAlive(this.pid), 5_000, 'tmux server to exit').catch(() => {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {}
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
