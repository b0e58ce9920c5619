import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import treeKill from 'tree-kill';
import { hasProcfs, isCcxDaemon, isProcessAlive, listPids, readEnvValue, readFdTargets, readProcStat, type ProcStat } from './proc.js';
import type { SessionCgroups } from './session-cgroups.js';
import { SESSION_ENV_MARKER } from './session-marker.js';

export { SESSION_ENV_MARKER };

export interface SessionProcessIdentity {
  sessionId: string;
  /**
   * Pid of the program ccx started (the PTY's session leader). Absent for a
   * session whose metadata was never saved: it is found by its env marker only.
   */
  pid?: number;
  /** Its start time in clock ticks, so a reused pid is never mistaken for it. */
  startTime?: number;
  /**
   * The session's PTY slave (`/dev/pts/N`), given only while this daemon
   * holds its master open: until then no other terminal can have that name.
   */
  pts?: string;
  /** Processes found earlier (e.g. by the terminal, before it closed), matched again only with the same start time. */
  known?: KnownProcess[];
}

export interface KnownProcess {
  pid: number;
  startTime: number;
}

/** What a search may use beyond /proc: the daemon's own pid (never a match) and its sessions' cgroups. */
export interface ProcessScope {
  self?: number;
  cgroups?: SessionCgroups;
}

/**
 * All live processes of these sessions, in layers (docs/architecture.md,
 * "Finding a session's processes"): members of the session's cgroup; those
 * holding its PTY slave on any fd; those carrying its env marker; its leader
 * (checked by start time) and the members of the leader's process session;
 * and every descendant of any of them. A ccx daemon (another home's, started
 * from inside a session) and everything below it is never part of the set.
 * One pass over /proc for all: the reaper of a daemon that died with 40
 * sessions running scanned /proc three times per session and took 2 s.
 */
/**
 * What ended sessions left running. Without /proc an ended session's recorded
 * pid cannot be told from the same pid reused by an unrelated process (no
 * start time to compare), so nothing is claimed there — and so nothing of an
 * ended session is ever signalled on such a platform.
 */
export function findLeftoversOfSessions(identities: SessionProcessIdentity[], scope: ProcessScope = {}): Map<string, number[]> {
  if (!hasProcfs) return new Map(identities.map((i) => [i.sessionId, []]));
  return findProcessesOfSessions(identities, scope);
}

export function findProcessesOfSessions(identities: SessionProcessIdentity[], scope: ProcessScope = {}): Map<string, number[]> {
  const self = scope.self ?? process.pid;
  const found = new Map<string, number[]>(identities.map((i) => [i.sessionId, []]));
  if (!hasProcfs) {
    for (const i of identities) if (i.pid !== undefined && isProcessAlive(i.pid)) found.get(i.sessionId)!.push(i.pid);
    return found;
  }
  const stats = new Map<number, ProcStat>();
  for (const pid of listPids()) {
    if (pid === self) continue;
    const stat = readProcStat(pid);
    if (stat && stat.state !== 'Z') stats.set(pid, stat);
  }
  // A process older than every session leader cannot have inherited a
  // session's marker, opened its terminal or be a daemon one of them started,
  // so only newer ones are read further.
  const startTimes = identities.map((i) => i.startTime);
  const oldest = startTimes.every((t) => t !== undefined) ? Math.min(...(startTimes as number[])) : 0;
  const newer = [...stats.values()].filter((s) => s.startTime >= oldest);
  const leaders = new Set(identities.filter((i) => isOurLeader(i, stats)).map((i) => i.pid!));
  const markers = new Map<number, string>();
  const daemons = new Set<number>();
  for (const stat of newer) {
    const marker = readEnvValue(stat.pid, SESSION_ENV_MARKER);
    if (marker !== undefined) markers.set(stat.pid, marker);
    if (isCcxDaemon(stat.pid)) daemons.add(stat.pid);
  }
  const terminals = new Set(identities.flatMap((i) => (i.pts ? [i.pts] : [])));
  const holders = terminals.size ? terminalHolders(newer, terminals) : new Map<string, number[]>();
  // Every daemon and what runs below it is left alone — except a session's
  // own program that is a daemon (`ccx start -- ccx daemon run`): ending it
  // is what its cancel asks, and it ends its own sessions as it stops.
  const untouchable = withDescendants(daemons, stats);
  for (const pid of leaders) untouchable.delete(pid);
  for (const identity of identities) {
    const leaderIsOurs = isOurLeader(identity, stats);
    const seeds = new Set<number>();
    for (const pid of scope.cgroups?.pids(identity.sessionId) ?? []) if (stats.has(pid)) seeds.add(pid);
    for (const pid of (identity.pts && holders.get(identity.pts)) || []) seeds.add(pid);
    for (const k of identity.known ?? []) if (stats.get(k.pid)?.startTime === k.startTime) seeds.add(k.pid);
    for (const stat of stats.values()) {
      if ((leaderIsOurs && (stat.pid === identity.pid || stat.sid === identity.pid)) || markers.get(stat.pid) === identity.sessionId) {
        seeds.add(stat.pid);
      }
    }
    for (const pid of untouchable) seeds.delete(pid);
    found.set(identity.sessionId, [...withDescendants(seeds, stats, untouchable)]);
  }
  return found;
}

/** The identity's leader is alive and is the process ccx started (same start time). */
function isOurLeader(identity: SessionProcessIdentity, stats: Map<number, ProcStat>): boolean {
  const leader = identity.pid === undefined ? undefined : stats.get(identity.pid);
  return leader !== undefined && (identity.startTime === undefined || leader.startTime === identity.startTime);
}

/** `roots` and every process below them, not descending into `stop`. */
function withDescendants(roots: Set<number>, stats: Map<number, ProcStat>, stop = new Set<number>()): Set<number> {
  const all = new Set(roots);
  let grew = all.size > 0;
  while (grew) {
    grew = false;
    for (const stat of stats.values()) {
      if (!all.has(stat.pid) && !stop.has(stat.pid) && all.has(stat.ppid)) {
        all.add(stat.pid);
        grew = true;
      }
    }
  }
  return all;
}

/**
 * terminal path -> pids holding it open on any fd. A path names a terminal
 * only within one devpts mount: a process in another mount namespace (a
 * container) can hold a `/dev/pts/3` of its own, so a match must also be the
 * same file (device and inode) as the daemon's terminal.
 */
function terminalHolders(stats: ProcStat[], terminals: Set<string>): Map<string, number[]> {
  const identities = new Map<string, string>();
  for (const path of terminals) {
    const id = fileIdentity(path);
    if (id) identities.set(path, id);
  }
  const holders = new Map<string, number[]>();
  for (const stat of stats) {
    const held = new Set<string>();
    for (const { fd, target } of readFdTargets(stat.pid)) {
      if (held.has(target) || !identities.has(target)) continue;
      if (fileIdentity(`/proc/${stat.pid}/fd/${fd}`) !== identities.get(target)) continue;
      held.add(target);
      holders.set(target, [...(holders.get(target) ?? []), stat.pid]);
    }
  }
  return holders;
}

/** `dev:ino` of the file a path leads to (following links), or undefined. */
function fileIdentity(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** The session's processes now, with their start times, to be found again later as `known`. */
export function snapshotSession(identity: SessionProcessIdentity, scope: ProcessScope = {}): KnownProcess[] {
  const pids = findProcessesOfSessions([identity], scope).get(identity.sessionId) ?? [];
  return pids.flatMap((pid) => {
    const startTime = readProcStat(pid)?.startTime;
    return startTime === undefined ? [] : [{ pid, startTime }];
  });
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
 * SIGINT (Ctrl-C) to the PTY's foreground process group, as the terminal
 * would send it, but never to a ccx daemon in that group (`ccx daemon run`
 * started in the session's foreground for another home): each member is
 * signalled by pid. The group is read from the leader's /proc entry only
 * while its start time is the recorded one: node-pty reaps the program at
 * once but reports its exit up to 200 ms later, and with pids wrapping at
 * 32768 a reused pid's terminal is another session's. Where /proc is absent,
 * the leader's own group.
 */
export function signalForegroundGroup(leader: { pid: number; startTime?: number }, signal: NodeJS.Signals, self = process.pid): void {
  if (!hasProcfs) {
    signalGroup(leader.pid, signal);
    return;
  }
  const stat = readProcStat(leader.pid);
  if (!stat || stat.state === 'Z' || (leader.startTime !== undefined && stat.startTime !== leader.startTime)) return;
  const group = stat.tpgid > 0 ? stat.tpgid : leader.pid;
  const members = listPids().filter((pid) => pid !== self && readProcStat(pid)?.pgid === group && (pid === leader.pid || !isCcxDaemon(pid)));
  signalPids(members, signal);
}

/**
 * Sends `signal` to every process of the session. Repeats a few passes so a
 * process that forks while being killed is caught too. Returns the pids hit.
 */
export function signalSession(identity: SessionProcessIdentity, signal: NodeJS.Signals, scope: ProcessScope = {}, passes = 3): number[] {
  return signalSessions([identity], signal, scope, passes);
}

/** `signalSession` for many sessions at once, one /proc scan per pass. */
export function signalSessions(identities: SessionProcessIdentity[], signal: NodeJS.Signals, scope: ProcessScope = {}, passes = 3): number[] {
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
    const all = new Set([...findProcessesOfSessions(identities, scope).values()].flat());
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
