import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import { DisposableStore, type Disposable } from '../disposable.js';
import { signalNumber, type BackendExit, type SessionBackend } from '../session/backend.js';

/**
 * Claude Code on pipes (spawned by claude-process.ts): the SessionBackend of
 * a structured agent session. Its stdout carries stream-json lines, which
 * StreamJsonClient reads through onData; the output log gets the transcript
 * the session renders from the parsed messages, not these bytes. There is
 * no terminal: resize does nothing. onExit is the child's `exit`, as the
 * agent branch had it (stdout may still hold lines then; `close` would also
 * wait for any process that inherited the pipes).
 */
export class StreamJsonBackend implements SessionBackend {
  /** The data listeners added through onData/onStderr, removed by dispose. */
  private readonly subscriptions = new DisposableStore();

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    // A write after the child closed its stdin (it exited) must not throw in the daemon.
    child.stdin.on('error', () => undefined);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Dropped once the child's input is closed (it is exiting, or endInput was called). */
  write(data: string | Buffer): void {
    if (this.child.stdin.writable) this.child.stdin.write(data);
  }

  resize(): void {}

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  onData(listener: (chunk: Buffer) => void): Disposable {
    return this.subscriptions.add(listen(this.child.stdout, listener));
  }

  /** Claude Code's stderr (the session keeps the start of it in the transcript). */
  onStderr(listener: (chunk: Buffer) => void): Disposable {
    return this.subscriptions.add(listen(this.child.stderr, listener));
  }

  onExit(listener: (exit: BackendExit) => void): Disposable {
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => listener({ exitCode: code ?? 0, signal: signal ? signalNumber(signal) : undefined });
    this.child.once('exit', onExit);
    return { dispose: () => this.child.off('exit', onExit) };
  }

  /** Closes Claude Code's input: it ends once its turn is done. */
  endInput(): void {
    this.child.stdin.end();
  }

  /** Stops reading. Exit listeners stay: a program still running when its session is freed has its end recorded. */
  dispose(): void {
    this.subscriptions.dispose();
  }
}

function listen(stream: Readable, listener: (chunk: Buffer) => void): Disposable {
  stream.on('data', listener);
  return { dispose: () => stream.off('data', listener) };
}
