import type { IPty } from 'node-pty';

/**
 * The private parts of node-pty 1.2.0-beta.15's UnixTerminal (same as 1.1.0's) that pty-drain.ts and
 * pty-write.ts rely on (they are not in its typings). Kept in one place, so a
 * node-pty upgrade has one thing to check; every field is optional, and the
 * callers fall back to node-pty's own behaviour when one is missing.
 */
export interface UnixTerminalInternals {
  /** The PTY master's file descriptor (non-blocking). */
  _fd?: number;
  /** The slave's path, `/dev/pts/N` (1.2's `ptsName` getter, not in its typings). */
  _pty?: string;
  /** node-pty's read stream over that fd. */
  _socket?: { destroyed?: boolean; prependListener(event: 'end', listener: () => void): unknown };
  /** node-pty's write queue, retried on EAGAIN. */
  _writeStream?: { _writeQueue?: unknown[] };
}

export function ptyInternals(proc: IPty): UnixTerminalInternals {
  return proc as unknown as UnixTerminalInternals;
}
