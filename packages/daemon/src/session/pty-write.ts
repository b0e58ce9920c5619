import { writeSync } from 'node:fs';
import type { IPty } from 'node-pty';
import { ptyInternals } from './pty-internals.js';


/**
 * Writes keystrokes to the PTY in this turn, and leaves node-pty only what
 * the kernel did not take.
 *
 * node-pty writes with fs.write, in libuv's thread pool: every keystroke
 * wakes a pool thread, which then wakes the event loop again. On a loaded
 * machine each wake-up can wait a scheduler tick (~4 ms), and that hop made
 * much of the tail of an attached client's keystroke echo (trace of the
 * latency bench at load 9: write → echo read p99 4.0 ms; 2.2 ms written
 * directly). The fd is non-blocking, so a write of a few bytes returns at
 * once; on EAGAIN (the program is not reading and the buffer is full) the
 * rest goes to node-pty's queue, which retries as before.
 *
 * Order holds: the direct write is tried only while node-pty's queue is
 * empty (a write in flight stays queued until it completes), so nothing
 * can overtake bytes already handed to it. Once node-pty's read side is
 * destroyed the fd may be closed (and its number reused): then node-pty
 * gets the bytes as before.
 */
export function writeToPty(proc: IPty, data: string | Buffer): void {
  const { _fd: fd, _socket: socket, _writeStream: stream } = ptyInternals(proc);
  const queue = stream?._writeQueue;
  if (process.platform === 'win32' || typeof fd !== 'number' || socket?.destroyed !== false || !Array.isArray(queue) || queue.length > 0) {
    proc.write(data);
    return;
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  } catch {
    // EAGAIN: the buffer is full; anything else node-pty meets and reports as it always did.
  }
  if (written < bytes.length) proc.write(bytes.subarray(written));
}
