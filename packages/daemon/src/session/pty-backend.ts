import * as pty from 'node-pty';
import type { Disposable } from '../disposable.js';
import { withUmask } from '../process/umask.js';
import type { BackendExit, BackendSpawnOptions, SessionBackend } from './backend.js';
import { drainOnEnd, gatherPending } from './pty-drain.js';
import { ptyInternals } from './pty-internals.js';
import { PtyWriter } from './pty-write.js';

/**
 * A program in a pseudo-terminal (node-pty), modelled on VS Code's
 * TerminalProcess: the raw IPty stays in here. Output is read in large
 * chunks and drained to the last byte at the end (pty-drain.ts); input goes
 * through a PtyWriter that counts what the kernel took (pty-write.ts).
 */
export class PtyBackend implements SessionBackend {
  /** What the send path reads: queued, submitted and accepted bytes, stalls. */
  readonly input: PtyWriter;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly dataSubscription: pty.IDisposable;

  private constructor(private readonly proc: pty.IPty) {
    this.input = new PtyWriter(proc);
    this.dataSubscription = proc.onData((data) => this.emitData(gatherPending(proc, data as unknown as Buffer)));
    drainOnEnd(proc, (chunk) => this.emitData(chunk));
  }

  /** Forks the program; throws what node-pty throws when it cannot. */
  static spawn(opts: BackendSpawnOptions): PtyBackend {
    // The caller's umask, not the daemon's: files the program creates get the modes they would from the caller's shell.
    const fork = (): pty.IPty =>
      withUmask(opts.umask, () => pty.spawn(opts.file, opts.args, {
        name: opts.env.TERM,
        cols: opts.cols,
        rows: opts.rows,
        cwd: opts.cwd,
        env: opts.env,
        encoding: null,
      } as pty.IPtyForkOptions));
    return new PtyBackend(opts.around ? opts.around(fork) : fork());
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** The slave's path (`/dev/pts/N`) while the master is open: it names the session's terminal. */
  get terminalPath(): string | undefined {
    return ptyInternals(this.proc)._socket?.destroyed ? undefined : ptyInternals(this.proc)._pty;
  }

  write(data: string | Buffer): void {
    this.input.write(data);
  }

  resize(cols: number, rows: number): void {
    this.proc.resize(cols, rows);
  }

  signal(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }

  onData(listener: (chunk: Buffer) => void): Disposable {
    this.dataListeners.add(listener);
    return { dispose: () => this.dataListeners.delete(listener) };
  }

  onExit(listener: (exit: BackendExit) => void): Disposable {
    return this.proc.onExit(({ exitCode, signal }) => listener({ exitCode, signal }));
  }

  /** The program is gone: input it will never read is dropped. */
  closeInput(): void {
    this.input.close();
  }

  /**
   * Stops input and output. Exit listeners stay: a program still running
   * when its session is freed (daemon stop) has its end recorded as before.
   */
  dispose(): void {
    this.input.close();
    this.dataSubscription.dispose();
    this.dataListeners.clear();
  }

  private emitData(chunk: Buffer): void {
    for (const listener of this.dataListeners) listener(chunk);
  }
}
