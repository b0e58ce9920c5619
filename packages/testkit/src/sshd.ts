/**
 * A real OpenSSH server on 127.0.0.1 at a free port, for the tests and the
 * bench of `--host ssh://…`: its own host key, a client key that is the only
 * one it accepts, and an environment for the sessions it runs (CCX_HOME of
 * the "far" machine). Started and stopped by pid; it needs root (sshd's
 * privilege separation) and Debian's openssh-server (.ci/run installs it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

export const SSHD_BIN = '/usr/sbin/sshd';

export function sshdAvailable(): boolean {
  return existsSync(SSHD_BIN) && typeof process.getuid === 'function' && process.getuid() === 0;
}

import { freePort } from './net.js';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export interface LocalSshdOptions {
  parentDir: string;
  sessionEnv?: Record<string, string>;
  track?: (pid: number) => void;
}

export class LocalSshd {
  readonly dir: string;
  readonly sessionEnv: Record<string, string>;
  readonly track: (pid: number) => void;
  readonly user: string;
  pid: number | undefined;
  port: number | undefined;
  child: ChildProcess | undefined;

  constructor(opts: LocalSshdOptions) {
    this.dir = mkdtempSync(join(opts.parentDir, 'sshd-'));
    this.sessionEnv = opts.sessionEnv ?? {};
    this.track = opts.track ?? (() => {});
    this.user = 'root';
    this.pid = undefined;
    this.port = undefined;
  }

  async start(): Promise<this> {
    const key = (name: string): string => join(this.dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key('host_key')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key('client_key')]);
    writeFileSync(key('authorized_keys'), readFileSync(key('client_key.pub')), { mode: 0o600 });
    // sshd refuses to start without its privilege-separation directory.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    this.port = await freePort();
    const setEnv = Object.entries(this.sessionEnv).map(([k, v]) => `"${k}=${v}"`);
    const config = [
      `Port ${this.port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${key('host_key')}`,
      `AuthorizedKeysFile ${key('authorized_keys')}`,
      `PidFile ${key('sshd.pid')}`,
      // The temp dir lives under the world-writable /tmp, which StrictModes refuses.
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'LogLevel ERROR',
      ...(setEnv.length ? [`SetEnv ${setEnv.join(' ')}`] : []),
    ];
    writeFileSync(key('sshd_config'), config.join('\n') + '\n');
    const child = spawn(SSHD_BIN, ['-D', '-e', '-f', key('sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.pid = child.pid;
    if (child.pid) this.track(child.pid);
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    const deadline = Date.now() + 20_000;
    while (!(await canConnect(this.port!))) {
      if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`sshd did not listen on ${this.port} within 20 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this;
  }

  get url(): string {
    return `ssh://${this.user}@127.0.0.1:${this.port}`;
  }

  /** CCX_SSH_COMMAND for clients: this server's key only, no known_hosts file, no user config. */
  get sshCommand(): string {
    return `ssh -F none -i ${join(this.dir, 'client_key')} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`;
  }

  /** The same login as a plain argv, for `ssh … true` comparisons. */
  sshArgs(...command: string[]): string[] {
    return ['-F', 'none', '-i', join(this.dir, 'client_key'), '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-p', String(this.port), `${this.user}@127.0.0.1`, ...command];
  }

  /** Stops the listener by its pid; connections' own sshd processes end with their clients. */
  async stop(): Promise<void> {
    const child = this.child;
    if (this.pid !== undefined && child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(this.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(this.pid, 'SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
