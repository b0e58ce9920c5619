import { readSync } from 'node:fs';
import type { IPty } from 'node-pty';
import { ptyInternals } from './pty-internals.js';

const DRAIN_CHUNK_BYTES = 64 * 1024;
/** Most bytes one data event is grown to from what the PTY already holds: the size of an output frame. */
const GATHER_MAX_BYTES = 64 * 1024;
/**
 * A data event smaller than this drained the PTY when libuv read it (a Linux
 * PTY hands out 4095 bytes per read during a flood), so gatherPending does not
 * look for more: a keystroke's echo costs no extra read and no 64 KiB buffer.
 */
const GATHER_FROM_BYTES = 1024;
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
  const { _socket: socket, _fd: fd } = ptyInternals(proc);
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

/**
 * Grows a data event with what else the PTY holds right now, up to
 * GATHER_MAX_BYTES.
 *
 * libuv reads a PTY once per event-loop turn and a PTY read returns at most
 * ~4 KiB, so the program's output enters the daemon 4 KiB per turn. When
 * the turn is long — many followers to serve, a screen to parse — a program
 * that prints a lot is held to 4 KiB per turn and slows to a crawl (50
 * `logs -f` followers cut a `cat` to a tenth of its pace). Reading the rest
 * of what the kernel buffered in the same turn keeps the program's pace from
 * depending on what else the daemon does, and gives the log, the screen and
 * the followers fewer, larger chunks. The fd is non-blocking: an empty PTY
 * answers EAGAIN (or EIO once the program's side has closed) at once.
 */
export function gatherPending(proc: IPty, first: Buffer): Buffer {
  if (process.platform === 'win32' || first.length < GATHER_FROM_BYTES || first.length >= GATHER_MAX_BYTES) return first;
  const { _fd: fd } = ptyInternals(proc);
  if (typeof fd !== 'number') return first;
  const room = GATHER_MAX_BYTES - first.length;
  const more = Buffer.allocUnsafe(room);
  let got = 0;
  while (got < room) {
    let n: number;
    try {
      n = readSync(fd, more, got, room - got, null);
    } catch {
      break; // EAGAIN: nothing more now; EIO: the program's side closed (libuv sees it next).
    }
    if (n <= 0) break;
    got += n;
  }
  return got === 0 ? first : Buffer.concat([first, more.subarray(0, got)], first.length + got);
}
