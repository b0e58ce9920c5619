import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * `CCX_CGROUP`: `auto` (default) uses a cgroup per session where one can be
 * made; `v2` only cgroup2 (what most systems have; on a hybrid one, to try
 * that path); `off` never.
 */
export type CgroupMode = 'auto' | 'v2' | 'off';

export function cgroupModeFrom(value: string | undefined): CgroupMode {
  return value === 'off' || value === 'v2' ? value : 'auto';
}

interface Candidate {
  kind: 'cgroup-v1-pids' | 'cgroup-v2';
  base: string;
  /** The cgroup.procs this daemon was in, to go back to when it stops. */
  origin: string | undefined;
}

/**
 * One cgroup per session, under a directory of this daemon's own
 * (`<hierarchy>/ccx/<uid>-<hash of the state dir>/`): every process a session
 * starts is born in `s-<id>` and stays there whatever it does — setsid,
 * double fork, a stripped environment — so `cgroup.procs` lists exactly the
 * session's processes (systemd's KillMode=control-group, without systemd).
 *
 * A child is born in its parent's cgroup, so the daemon steps into the
 * session's cgroup for the fork and back into `daemon/` after it: nothing the
 * program does between fork and exec can run outside. Made only where this
 * user may create and enter cgroups (root: the v1 pids hierarchy, else
 * cgroup2; a user: a cgroup2 subtree delegated to it); otherwise `open`
 * returns undefined and the fallbacks of session-processes.ts apply.
 */
export class SessionCgroups {
  private constructor(
    readonly kind: Candidate['kind'],
    readonly base: string,
    private readonly origin: string | undefined,
  ) {}

  static open(opts: { stateDir: string; uid: number; mode: CgroupMode }): SessionCgroups | undefined {
    if (opts.mode === 'off' || process.platform !== 'linux') return undefined;
    const key = `${opts.uid}-${createHash('sha256').update(opts.stateDir).digest('hex').slice(0, 16)}`;
    for (const candidate of candidates(key).filter((c) => opts.mode === 'auto' || c.kind === 'cgroup-v2')) {
      try {
        const daemonDir = join(candidate.base, 'daemon');
        mkdirSync(daemonDir, { recursive: true, mode: 0o755 });
        enter(daemonDir);
        return new SessionCgroups(candidate.kind, candidate.base, candidate.origin);
      } catch {
        // Not ours to make or enter: try the next hierarchy.
      }
    }
    return undefined;
  }

  /**
   * The session's cgroup; undefined for an id that is not a plain session id:
   * one read from a planted `meta.json` (`"id": "../../.."`) must never name
   * the hierarchy's root, whose members are every process on the machine.
   */
  dirOf(sessionId: string): string | undefined {
    return SESSION_ID.test(sessionId) ? join(this.base, `s-${sessionId}`) : undefined;
  }

  /**
   * Runs `spawn` (a synchronous fork) with the daemon inside the session's
   * cgroup. Throws only what `spawn` throws; a cgroup that cannot be entered
   * is reported through `onFailure` and the program starts outside it.
   */
  bornInside<T>(sessionId: string, spawn: () => T, onFailure: (error: unknown) => void): T {
    try {
      const dir = this.dirOf(sessionId);
      if (!dir) throw new Error(`not a session id: ${JSON.stringify(sessionId)}`);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      enter(dir);
    } catch (error) {
      onFailure(error);
      return spawn();
    }
    try {
      return spawn();
    } finally {
      try {
        enter(join(this.base, 'daemon'));
      } catch (error) {
        // Still in the session's cgroup: its kill set excludes the daemon's own pid.
        onFailure(error);
      }
    }
  }

  /** Live members of the session's cgroup; [] when it has none (or was never made). */
  pids(sessionId: string): number[] {
    const dir = this.dirOf(sessionId);
    if (!dir) return [];
    let text: string;
    try {
      text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').filter((line) => /^\d+$/.test(line)).map(Number);
  }

  /** Removes the session's cgroup once it is empty (the kernel refuses otherwise). */
  release(sessionId: string): void {
    const dir = this.dirOf(sessionId);
    if (!dir) return;
    try {
      rmdirSync(dir);
    } catch {
      // Not empty, or already gone.
    }
  }

  /**
   * Removes every session cgroup that is empty (the kernel keeps those with a
   * live process, or a zombie an init has not reaped yet); returns how many
   * remain. An empty cgroup is never needed again: nothing is left to fork.
   */
  sweep(): number {
    let names: string[];
    try {
      names = readdirSync(this.base).filter((name) => name.startsWith('s-'));
    } catch {
      return 0;
    }
    let remaining = 0;
    for (const name of names) {
      try {
        rmdirSync(join(this.base, name));
      } catch {
        remaining++;
      }
    }
    return remaining;
  }

  /** Leaves `daemon/` for where the daemon came from, and removes it and the base once empty. */
  dispose(): void {
    const parent = join(dirname(this.base), 'cgroup.procs');
    // Not back into another daemon's session cgroup (this daemon was started inside one): it may be gone, and is not ours.
    const targets = this.origin && !/[\\/]ccx(-[^\\/]+)?[\\/]/.test(this.origin) ? [this.origin, parent] : [parent];
    for (const target of targets) {
      try {
        writeFileSync(target, `${process.pid}\n`);
        break;
      } catch {
        // Gone, or not ours to enter: try the next.
      }
    }
    try {
      rmdirSync(join(this.base, 'daemon'));
      rmdirSync(this.base);
    } catch {
      // Still entered, or another daemon of this home took the base over: harmless.
    }
  }

}

/** What newSessionId makes (8 base32 characters), with room to change its length. */
const SESSION_ID = /^[a-z0-9]{1,64}$/;

function enter(dir: string): void {
  writeFileSync(join(dir, 'cgroup.procs'), `${process.pid}\n`);
}

/** Where this process could keep its sessions' cgroups, best first. */
function candidates(key: string): Candidate[] {
  let mounts: string;
  let own: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
    own = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return [];
  }
  const list: Candidate[] = [];
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    if (type === 'cgroup' && options.split(',').includes('pids')) {
      const path = /^\d+:(?:[^:]*,)?pids(?:,[^:]*)?:(.*)$/m.exec(own)?.[1];
      list.push({ kind: 'cgroup-v1-pids', base: join(mountPoint, 'ccx', key), origin: path && join(mountPoint, path, 'cgroup.procs') });
    }
    if (type === 'cgroup2') {
      const path = /^0::(.*)$/m.exec(own)?.[1];
      const origin = path ? join(mountPoint, path, 'cgroup.procs') : undefined;
      list.push({ kind: 'cgroup-v2', base: join(mountPoint, 'ccx', key), origin });
      // A user's delegated subtree (systemd's user@UID.service): beside the daemon's own cgroup.
      if (path && path !== '/') list.push({ kind: 'cgroup-v2', base: join(mountPoint, dirname(path), `ccx-${key}`), origin });
    }
  }
  return list;
}
