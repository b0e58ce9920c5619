import { constants as osConstants } from 'node:os';
import type { Disposable } from '../disposable.js';

const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(osConstants.signals).map(([name, num]) => [num, name]),
);

/** A BackendExit's signal as the record keeps it (`SIGTERM`), or null. */
export function signalName(signal: number | undefined): string | null {
  return signal ? (SIGNAL_NAMES[signal] ?? String(signal)) : null;
}

/** The number of a signal Node names (a child process's `exit`), for a BackendExit. */
export function signalNumber(name: NodeJS.Signals): number | undefined {
  return osConstants.signals[name];
}

/** How a session's program ended: its exit code, or the number of the signal that killed it. */
export interface BackendExit {
  exitCode: number;
  signal?: number;
}

/** What starting a program needs, whatever runs it. */
export interface BackendSpawnOptions {
  /** The resolved executable (spawn-check.ts) and its arguments. */
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** The caller's umask for the program (absent: the daemon's). */
  umask?: number;
  /** Runs the fork, e.g. inside the session's cgroup (session-cgroups.ts `bornInside`). */
  around?: <T>(fork: () => T) => T;
}

/**
 * The program behind a session, as the session sees it (VS Code's
 * ITerminalChildProcess): bytes in, bytes out, a size, signals, one exit.
 * Every subscription returns a Disposable. The PTY (pty-backend.ts) is the
 * first kind; docs/architecture.md "Session kinds" says what another adds.
 */
export interface SessionBackend extends Disposable {
  /** The program's pid. */
  readonly pid: number;
  /** Input for the program, in order; never blocks (what cannot be taken now waits in the backend). */
  write(data: string | Buffer): void;
  /** Throws when the program's side is already closed (the caller ignores that: it is exiting). */
  resize(cols: number, rows: number): void;
  signal(signal: NodeJS.Signals): void;
  onData(listener: (chunk: Buffer) => void): Disposable;
  /** Fires once, after the last onData. */
  onExit(listener: (exit: BackendExit) => void): Disposable;
}
