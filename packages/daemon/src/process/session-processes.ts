import { spawnSync } from 'node:child_process';
import treeKill from 'tree-kill';
import { hasProcfs, isProcessAlive, listPids, readEnvValue, readProcStat, type ProcStat } from './proc.js';

/** Every session's processes inherit this variable: it finds them even after setsid or reparenting. */
export const SESSION_ENV_MARKER = 'CCX_SESSION_ID';

export interface SessionProcessIdentity {
  sessionId: string;
  /**
   * Pid of the program ccx started (the PTY's session leader). Absent for a
   * session whose metadata was never saved: it is found by its env marker only.
   */
  pid?: number;
  /** Its start time in clock ticks, so a reused pid is never mistaken for it. */
  startTime?: number;
}

/** A session whose program was started: its leader is known. */
export type LeaderIdentity = SessionProcessIdentity & { pid: number };

/**
 * All live processes of these sessions: those carrying a session's env
 * marker, its leader (checked by start time), members of the leader's process
 * session, and every descendant of any of them — including grandchildren that
 * moved to their own process group. One pass over /proc for all: the
 * reaper of a daemon that died with 40 sessions running scanned /proc three
 * times per session and took 2 s before it could serve.
 */
export function findProcessesOfSessions(identities: SessionProcessIdentity[], self = process.pid): Map<string, number[]> {
  const found = new Map<string, number[]>(identities.map((i) => [i.sessionId, []]));
  if (!hasProcfs) {
    for (const i of identities) if (i.pid !== undefined && isProcessAlive(i.pid)) found.get(i.sessionId)!.push(i.pid);
    return found;
  }
  const stats: ProcStat[] = [];
  for (const pid of listPids()) {
    if (pid === self) continue;
    const stat = readProcStat(pid);
    if (stat && stat.state !== 'Z') stats.push(stat);
  }
  // A process older than every session leader cannot have inherited a
  // session's marker, so its environment need not be read.
  const startTimes = identities.map((i) => i.startTime);
  const oldest = startTimes.every((t) => t !== undefined) ? Math.min(...(startTimes as number[])) : 0;
  const markers = new Map<number, string>();
  for (const stat of stats) {
    if (stat.startTime < oldest) continue;
    const marker = readEnvValue(stat.pid, SESSION_ENV_MARKER);
    if (marker !== undefined) markers.set(stat.pid, marker);
  }
  for (const identity of identities) {
    const leader = stats.find((s) => s.pid === identity.pid);
    const leaderIsOurs = leader !== undefined && (identity.startTime === undefined || leader.startTime === identity.startTime);
    const matched = new Set<number>();
    for (const stat of stats) {
      if ((leaderIsOurs && (stat.pid === identity.pid || stat.sid === identity.pid)) || markers.get(stat.pid) === identity.sessionId) {
        matched.add(stat.pid);
      }
    }
    // Descendants: repeat until no new child of a matched process turns up.
    let grew = true;
    while (grew) {
      grew = false;
      for (const stat of stats) {
        if (!matched.has(stat.pid) && matched.has(stat.ppid)) {
          matched.add(stat.pid);
          grew = true;
        }
      }
    }
    found.set(identity.sessionId, [...matched]);
  }
  return found;
}

export function signalPids(pids: number[], signal: NodeJS.Signals): number {
  let sent = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      sent++;
    } catch {
      // Already gone: that is the goal.
    }
  }
  return sent;
}

/** Signals a process group; false when it no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * The PTY's foreground process group (what Ctrl-C would reach), read from
 * /proc; falls back to the leader's own group where /proc is absent.
 */
export function foregroundGroup(leaderPid: number): number {
  const tpgid = readProcStat(leaderPid)?.tpgid;
  return tpgid !== undefined && tpgid > 0 ? tpgid : leaderPid;
}

/**
 * Sends `signal` to every process of the session. Repeats a few passes so a
 * process that forks while being killed is caught too. Returns the pids hit.
 */
export function signalSession(identity: SessionProcessIdentity, signal: NodeJS.Signals, passes = 3): number[] {
  return signalSessions([identity], signal, passes);
}

/** `signalSession` for many sessions at once, one /proc scan per pass. */
export function signalSessions(identities: SessionProcessIdentity[], signal: NodeJS.Signals, passes = 3): number[] {
  const hit = new Set<number>();
  if (!hasProcfs) {
    // Without /proc only a known leader can be found; `pid` must never be 0
    // here: kill(-0) would signal the daemon's own process group.
    const leaders = identities.flatMap((i) => (i.pid ? [i.pid] : []));
    for (const pid of leaders) {
      signalGroup(pid, signal);
      treeKillSafely(pid, signal);
    }
    return leaders;
  }
  for (let pass = 0; pass < passes && identities.length > 0; pass++) {
    const all = new Set([...findProcessesOfSessions(identities).values()].flat());
    const pids = [...all].filter((pid) => signal !== 'SIGKILL' || !hit.has(pid) || isProcessAlive(pid));
    if (pids.length === 0) break;
    signalPids(pids, signal);
    for (const pid of pids) hit.add(pid);
    if (signal !== 'SIGKILL') break;
  }
  return [...hit];
}

let psAvailable: boolean | undefined;

/**
 * tree-kill shells out to `ps` (pgrep on some systems) and its spawn has no
 * error listener: with `ps` missing it would crash the daemon. Check first.
 */
function treeKillSafely(pid: number, signal: NodeJS.Signals): void {
  psAvailable ??= spawnSync('ps', ['-p', String(process.pid)], { stdio: 'ignore' }).error === undefined;
  if (!psAvailable) return;
  treeKill(pid, signal, () => {});
}
