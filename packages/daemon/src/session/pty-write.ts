import { writeSync } from 'node:fs';
import type { IPty } from 'node-pty';
import { ptyInternals } from './pty-internals.js';

/** Retries after EAGAIN start this soon and back off to RETRY_MAX_MS while the program reads nothing. */
const RETRY_MIN_MS = 1;
const RETRY_MAX_MS = 50;

/**
 * A session's input on its way to the PTY, in order, with the count of
 * bytes the kernel has accepted — what a `send` reply calls `written`.
 *
 * Bytes are written in this turn (`writeSync` on the non-blocking fd) as far
 * as the kernel takes them; the rest waits here and is retried, first at
 * once, then backing off to every RETRY_MAX_MS while the program reads
 * nothing (a stopped program costs a timer, not a busy loop). node-pty's own
 * queue is used only where the fd is not ours to write (not Linux/macOS, or
 * node-pty has closed it after the exit): it holds without bound and cannot
 * say what was written.
 *
 * Why in this turn: node-pty writes with fs.write in libuv's thread pool:
 * every keystroke wakes a pool thread, which then wakes the event loop
 * again; on a loaded machine each wake-up can wait a scheduler tick (~4 ms),
 * and that hop made much of the tail of an attached client's keystroke echo
 * (latency bench at load 9: write → echo read p99 4.0 ms; 2.2 ms direct).
 */
export class PtyWriter {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes handed to `write` so far, and of those the ones the kernel took. */
  private submitted = 0;
  private accepted = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryImmediate: NodeJS.Immediate | undefined;
  private retryMs = 0;
  private readonly progressWaiters = new Set<() => void>();
  private closed = false;
  /** When the kernel last took bytes, or bytes began to wait in an empty queue (ms since the epoch). */
  private progressAt = 0;

  constructor(private readonly proc: IPty) {}

  /** Bytes waiting here for the program to read. */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Position in the input stream after everything handed over so far. */
  get submittedBytes(): number {
    return this.submitted;
  }

  /** Position in the input stream up to which the kernel has accepted the bytes. */
  get acceptedBytes(): number {
    return this.accepted;
  }

  /** How long queued bytes have waited without the kernel taking any; 0 when nothing waits. */
  stalledMs(now = Date.now()): number {
    return this.pendingBytes === 0 ? 0 : now - this.progressAt;
  }

  /** Writes what the kernel takes now and keeps the rest, in order. */
  write(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length === 0 || this.closed) return;
    this.submitted += bytes.length;
    const fd = this.ownFd();
    if (fd === undefined) {
      // Not ours to write: node-pty queues it; count it as taken, as nothing better is known.
      this.flushToNodePty();
      this.proc.write(bytes);
      this.accepted += bytes.length;
      return;
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pending.length === 1) {
      this.progressAt = Date.now();
      this.flush();
    }
  }

  /** Resolves when the kernel next takes bytes, or the queue empties, or after `ms`. */
  progress(ms: number): Promise<void> {
    if (this.pendingBytes === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.progressWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.progressWaiters.add(done);
    });
  }

  /** The program is gone: drop what it will never read. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearImmediate(this.retryImmediate);
    this.pending.length = 0;
    this.pendingBytes = 0;
    for (const w of [...this.progressWaiters]) w();
  }

  private flush(): void {
    this.retryTimer = undefined;
    this.retryImmediate = undefined;
    const fd = this.ownFd();
    if (fd === undefined) return this.flushToNodePty();
    let progressed = false;
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      let n: number;
      try {
        n = writeSync(fd, head, 0, head.length);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
        // EIO and the like: the program's side is gone; what is left can never be read.
        this.close();
        return;
      }
      if (n <= 0) break;
      progressed = true;
      this.accepted += n;
      this.pendingBytes -= n;
      if (n === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(n);
    }
    if (progressed) {
      this.progressAt = Date.now();
      for (const w of [...this.progressWaiters]) w();
    }
    if (this.pending.length === 0) {
      this.retryMs = 0;
      return;
    }
    // Full: try again at once while the program is reading, and back off while it is not.
    if (progressed) {
      this.retryMs = 0;
      this.retryImmediate = setImmediate(() => this.flush());
    } else {
      this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
      this.retryTimer = setTimeout(() => this.flush(), this.retryMs);
    }
  }

  /** Hands anything still here to node-pty (its fd is no longer ours), in order. */
  private flushToNodePty(): void {
    for (const chunk of this.pending.splice(0)) {
      this.proc.write(chunk);
      this.accepted += chunk.length;
    }
    this.pendingBytes = 0;
    for (const w of [...this.progressWaiters]) w();
  }

  /**
   * The PTY's fd while it is ours to write: node-pty's read side still open
   * (once it is destroyed the fd may be closed and its number reused) and
   * nothing left in node-pty's own queue (so nothing can be overtaken).
   */
  private ownFd(): number | undefined {
    if (process.platform === 'win32') return undefined;
    const { _fd: fd, _socket: socket, _writeStream: stream } = ptyInternals(this.proc);
    const queue = stream?._writeQueue;
    if (typeof fd !== 'number' || socket?.destroyed !== false || !Array.isArray(queue) || queue.length > 0) return undefined;
    return fd;
  }
}
