/** Processes: the registry of pids to end by pid, and the Linux /proc readings tests, drills and the bench measure by. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isProcessAlive, isZombie, readEnvValue, readProcStat } from '@ccx/shared';

/** Alive = exists and is not a zombie (this machine's init may reap late or never). */
export const isAlive = isProcessAlive;

/**
 * Every pid started or learned of (daemons, CLIs, sessions, servers), so
 * teardown can end each by pid, never by name — each with the start time it
 * had when tracked. A full run starts tens of thousands of processes and pids
 * wrap (pid_max 32768): by teardown a tracked pid may belong to another
 * test's daemon, and only a process with the same pid and start time is the
 * one tracked. (A reused pid once SIGTERMed another test's fresh daemon: its
 * sessions' programs died of SIGHUP, exit 129.)
 */
export class PidRegistry {
  readonly #pids = new Map<number, number | undefined>();

  track(pid: number | undefined): number | undefined {
    if (pid && !this.#pids.has(pid)) this.#pids.set(pid, readProcStat(pid)?.startTime);
    return pid;
  }

  /** A pid that was reaped: it may be reused by now, so teardown must not kill it. */
  forget(pid: number | undefined): void {
    if (pid) this.#pids.delete(pid);
  }

  has(pid: number): boolean {
    return this.#pids.has(pid);
  }

  /** The tracked pids whose process is still the one tracked. */
  pids(): number[] {
    return [...this.#pids].filter(([pid, started]) => isSameProcess(pid, started)).map(([pid]) => pid);
  }

  /** SIGKILLs each tracked process still alive and forgets them all; returns the pids it had to kill. */
  killLeftovers(): number[] {
    const killed: number[] = [];
    for (const pid of this.pids()) {
      if (!isAlive(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {}
    }
    this.#pids.clear();
    return killed;
  }
}

/** Whether `pid` is still the process that had start time `started` (undefined: it was gone when tracked). */
function isSameProcess(pid: number, started: number | undefined): boolean {
  return started !== undefined && readProcStat(pid)?.startTime === started;
}

/** Whether the process's environment carries `CCX_HOME=<dir>`: it was started for that home. */
export function carriesHome(pid: number, dir: string): boolean {
  return readEnvValue(pid, 'CCX_HOME') === dir;
}

/** Resident set size in bytes, from /proc/<pid>/status; undefined when unreadable. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: what /proc counts CPU time in; 100 on every Linux build that matters. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in ms (10 ms resolution), or NaN. */
export function cpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process. */
export function fdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** What each fd of a process points at, grouped ("socket", "/dev/ptmx", "anon_inode:[eventfd]", a path…). */
export function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  let names: string[] = [];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return kinds;
  }
  for (const fd of names) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = target.startsWith('socket:') ? 'socket' : target.startsWith('pipe:') ? 'pipe' : target.startsWith('/dev/pts/') ? '/dev/pts/*' : target;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** Live (non-zombie) pids, other than this process, whose environment holds every one of `markers` (`NAME=value`). */
function pidsWithEnv(markers: string[]): number[] {
  const wanted = markers.map((m) => Buffer.from(m));
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${name}/environ`);
    } catch {
      continue;
    }
    if (!wanted.every((m) => environ.includes(m))) continue;
    if (isZombie(Number(name))) continue;
    out.push(Number(name));
  }
  return out;
}

/** Pids of processes whose environment carries CCX_SESSION_ID=<id>. */
export function pidsWithMarker(sessionId: string): number[] {
  return pidsWithEnv([`CCX_SESSION_ID=${sessionId}\0`]);
}

/**
 * Live processes started on behalf of one CCX_HOME: every process whose
 * environment carries `CCX_HOME=<dir>` (daemon, CLIs, session programs —
 * sessions inherit the daemon's or the CLI's environment) and, when
 * `sessionsOnly`, also `CCX_SESSION_ID=`.
 */
export function processesOfHome(dir: string, { sessionsOnly = false }: { sessionsOnly?: boolean } = {}): number[] {
  return pidsWithEnv(sessionsOnly ? [`CCX_HOME=${dir}\0`, 'CCX_SESSION_ID='] : [`CCX_HOME=${dir}\0`]);
}
