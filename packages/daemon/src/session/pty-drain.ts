import { readSync } from 'node:fs';
import type { IPty } from 'node-pty';

/** The parts of node-pty's UnixTerminal this work-around needs; they are not in its typings. */
interface UnixTerminalInternals {
  _socket?: { prependListener(event: 'end', listener: () => void): unknown };
  _fd?: number;
}

const DRAIN_CHUNK_BYTES = 64 * 1024;
/** A PTY holds a few KiB once its program is gone; this bound only guards against a surprise. */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads what is left in the PTY when node-pty's stream reports end-of-file.
 *
 * libuv takes POLLHUP after a short read for end-of-file, but a PTY master
 * hands out at most ~4 KiB per read and still holds the program's last bytes
 * when the slave side closes: node-pty then closes the fd and drops the tail
 * of the output of any program that prints fast and exits (node-pty#726) —
 * ~10 KiB of a `cat` of a large file, every time. Reading the fd until EIO
 * (nothing left) or EAGAIN before node closes it delivers every byte, and it
 * happens before node-pty reports the exit, so the output is complete by
 * the time the session ends.
 */
export function drainOnEnd(proc: IPty, onData: (chunk: Buffer) => void): void {
  if (process.platform === 'win32') return;
  const { _socket: socket, _fd: fd } = proc as unknown as UnixTerminalInternals;
  if (!socket || typeof fd !== 'number') return;
  socket.prependListener('end', () => {
    for (let drained = 0; drained < DRAIN_MAX_BYTES; ) {
      const chunk = Buffer.allocUnsafe(DRAIN_CHUNK_BYTES);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, DRAIN_CHUNK_BYTES, null);
      } catch {
        return; // EIO: the program's side is closed and nothing is left; EAGAIN: nothing now.
      }
      if (n <= 0) return;
      drained += n;
      onData(chunk.subarray(0, n));
    }
  });
}
