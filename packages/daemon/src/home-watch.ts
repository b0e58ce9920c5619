import { lstatSync, statSync } from 'node:fs';

/** How often the daemon looks at its state directory and socket. */
export const HOME_CHECK_MS = 2_000;

/** What identifies a file across a remove and re-create at the same path. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/** The identity of the file at `path` (not following a symlink), or undefined when it cannot be had. */
export function identityOf(path: string, follow = false): FileIdentity | undefined {
  const found = lookup(path, follow);
  return found === 'absent' || found === 'unknown' ? undefined : found;
}

/**
 * Like identityOf, but tells "nothing there" (ENOENT, ENOTDIR) from "cannot
 * tell" (EACCES, EIO...): only the first means the file was removed.
 */
export function lookup(path: string, follow = false): FileIdentity | 'absent' | 'unknown' {
  try {
    const st = follow ? statSync(path) : lstatSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'absent' : 'unknown';
  }
}

export function sameFile(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}

export interface Timers {
  setInterval(fn: () => void, ms: number): { unref?(): unknown };
  clearInterval(handle: unknown): void;
}

export interface HomeWatchOptions {
  stateDir: string;
  socketPath: string;
  /** The socket file this daemon listens on now (it changes when the socket is re-created). */
  socketIdentity(): FileIdentity | undefined;
  /** The state directory is gone, or another directory took its path: this daemon's home no longer exists. */
  onHomeGone(reason: string): void;
  /** The socket file was removed while the state directory is still this daemon's. */
  onSocketMissing(): void;
  intervalMs?: number;
  timers?: Timers;
}

/**
 * Notices, within seconds, that someone removed the daemon's files while it
 * runs (`rm -rf $CCX_HOME`, a tmp cleaner). Without it such a daemon and its
 * sessions lived on unreachable, and the next command started a second one.
 * The state directory is compared by identity, not by existence: a home
 * removed and re-created (by a new daemon) is not this daemon's any more.
 * Polled rather than watched: fs.watch on a directory that is removed stops
 * reporting, and a stat every 2 s costs nothing. The timer is unref'd, so it
 * never keeps the process alive.
 */
export class HomeWatch {
  private readonly stateIdentity: FileIdentity | undefined;
  private handle: unknown;

  constructor(private readonly opts: HomeWatchOptions) {
    this.stateIdentity = identityOf(opts.stateDir, true);
  }

  start(): void {
    const timers = this.opts.timers ?? { setInterval, clearInterval };
    const handle = timers.setInterval(() => this.check(), this.opts.intervalMs ?? HOME_CHECK_MS);
    handle.unref?.();
    this.handle = handle;
  }

  /** Whether the state directory at its path is still the one this daemon started with. */
  stateDirIntact(): boolean {
    const now = lookup(this.opts.stateDir, true);
    return now === 'unknown' || (now !== 'absent' && sameFile(now, this.stateIdentity));
  }

  /** One look; also what the interval runs. */
  check(): void {
    const now = lookup(this.opts.stateDir, true);
    // A directory that cannot be looked at now (permissions changed) is not taken for a removed one.
    if (now === 'unknown') return;
    if (now === 'absent' || !sameFile(now, this.stateIdentity)) {
      this.dispose();
      this.opts.onHomeGone(now === 'absent' ? `${this.opts.stateDir} was removed` : `${this.opts.stateDir} was replaced by another directory`);
      return;
    }
    if (lookup(this.opts.socketPath) === 'absent') this.opts.onSocketMissing();
  }

  dispose(): void {
    if (this.handle === undefined) return;
    (this.opts.timers ?? { setInterval, clearInterval }).clearInterval(this.handle);
    this.handle = undefined;
  }
}
