import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { CcxError } from '@ccx/shared';
import type { ByteChannel } from '../client/ipc-client.js';
import { destination, type HostTarget } from './host-spec.js';
import { remoteCommandHint, sshInvocation } from './ssh-command.js';

/** How much of ssh's stderr is kept to explain a failure. */
const STDERR_TAIL_BYTES = 4096;
/** ssh's own exit code when it could not connect or authenticate. */
const SSH_FAILED = 255;
/** The far shell's exit code for a command it cannot find. */
const COMMAND_NOT_FOUND = 127;

/**
 * The pipes of `ssh host ccx daemon dial-stdio` as a ByteChannel: what the
 * CLI writes goes to the far daemon's socket byte for byte, and what it
 * answers comes back. OpenSSH does authentication and encryption, as for
 * docker's `-H ssh://`. The channel closes when ssh exits; `closeReason`
 * then tells the user why in ssh's own words.
 */
export class SshChannel extends EventEmitter implements ByteChannel {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private stderrTail = '';
  private spawnError: NodeJS.ErrnoException | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private closed = false;
  private readonly command: string;

  constructor(
    private readonly target: HostTarget,
    env: NodeJS.ProcessEnv = process.env,
    interactive = !!process.stdin.isTTY,
  ) {
    super();
    const { file, args } = sshInvocation(target, env, interactive);
    this.command = file;
    this.child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stdout.on('data', (chunk: Buffer) => this.emit('data', chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    // A write after ssh died is reported by 'close', not as an uncaught EPIPE.
    this.child.stdin.on('error', () => {});
    this.child.on('error', (error: NodeJS.ErrnoException) => {
      this.spawnError = error;
      this.finish();
    });
    this.child.on('close', (code, signal) => {
      this.exit = { code, signal };
      this.finish();
    });
  }

  write(data: Buffer): boolean {
    return this.child.stdin.writable ? this.child.stdin.write(data) : false;
  }

  pause(): void {
    this.child.stdout.pause();
  }

  resume(): void {
    this.child.stdout.resume();
  }

  end(): void {
    this.child.stdin.end();
  }

  /** Ends ssh (by its pid, through the child handle) so no process outlives the command. */
  destroy(): void {
    this.child.stdin.destroy();
    if (this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }

  closeReason(): CcxError {
    const where = `${this.target.label} (${destination(this.target)}${this.target.port ? `:${this.target.port}` : ''})`;
    const said = this.stderrTail.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
    if (this.spawnError) {
      return new CcxError('E_DAEMON_UNAVAILABLE', `cannot run ${this.command} to reach ${where}: ${this.spawnError.code ?? this.spawnError.message}`, 'install OpenSSH (ssh), or set CCX_SSH_COMMAND to the ssh to use');
    }
    const code = this.exit?.code;
    if (code === COMMAND_NOT_FOUND || /command not found|No such file or directory|not found$/m.test(this.stderrTail)) {
      return new CcxError(
        'E_DAEMON_UNAVAILABLE',
        `no ccx on ${where}: its shell could not run ${JSON.stringify(this.target.ccxPath)}${said ? ` (${said})` : ''}`,
        `install ccx there and put it on PATH, or give its path: "hosts": {"${this.target.label}": {"url": "ssh://…", "ccx": "/path/to/ccx"}} in the config file, or CCX_REMOTE_CCX=/path/to/ccx`,
      );
    }
    if (code === SSH_FAILED) {
      return new CcxError('E_DAEMON_UNAVAILABLE', `ssh could not connect to ${where}: ${said || 'no message'}`, `try it by hand: ${remoteCommandHint(this.target)}`);
    }
    const how = this.exit?.signal ? `ssh ended by ${this.exit.signal}` : `ssh exited with code ${code ?? '?'}`;
    return new CcxError('E_DAEMON_UNAVAILABLE', `the connection to ${where} ended (${how})${said ? `: ${said}` : ''}`, `check the far side: ${remoteCommandHint(this.target, 'daemon status')}`);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}
