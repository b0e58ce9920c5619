import { readdirSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readProcStat } from '../process/proc.js';
import { ClaudeTranscript, withTranscriptTurns } from './claude-transcript.js';
import { readOwnedFile } from './owned-file.js';

/** What an agent says it is doing, in ccx's words. */
export interface AgentActivity {
  activity: 'busy' | 'idle' | 'waiting';
  /** Set while `waiting`: a permission dialog, or a question for the user. */
  waitingFor: 'permission' | 'input' | null;
  /** When the program last changed its status (epoch ms; Claude Code's `statusUpdatedAt`), if it says. */
  since: number | null;
  /** When the program last took a prompt (epoch ms; Claude Code's transcript), if it says. */
  promptAt?: number | null;
}

/**
 * The program says idle for a turn begun at `sentAtMs`: its status was set
 * since then and — where it also says when it takes a prompt (Claude Code's
 * transcript) — it took one since. Claude Code writes idle when it starts up
 * too, and on a loaded machine that write can land after the first prompt
 * was typed and before it was taken: that idle is not the turn's end.
 */
export function idleSince(state: AgentActivity, sentAtMs: number): boolean {
  if (state.activity !== 'idle' || state.since === null || state.since < sentAtMs) return false;
  return state.promptAt === undefined || (state.promptAt !== null && state.promptAt >= sentAtMs);
}

/** How often a session's agent state file is read while the session runs. */
export const AGENT_STATE_POLL_MS = 250;
/** Failed reads in a row (1 s) after which the state counts as unknown again. */
export const AGENT_STATE_MISSES = 4;
/** A state file larger than this is not Claude Code's (its own are ~600 bytes). */
const MAX_STATE_FILE_BYTES = 64 * 1024;
/** How far up from a state file's pid to look for the session's leader (claude started by a shell or a wrapper). */
const MAX_ANCESTRY_DEPTH = 8;

/** One read of Claude Code's state file: its activity, and which conversation it is in. */
interface ClaudeStateRead {
  activity: AgentActivity;
  sessionId: string | null;
  cwd: string | null;
}

/**
 * Claude Code (2.1) keeps a file per process, `$HOME/.claude/sessions/<pid>.json`,
 * whose `status` is `busy`, `idle` or `waiting` (with `waitingFor`, e.g.
 * "permission prompt"). It is the program's own account of its state, so it
 * beats guessing from screen redraws: a permission dialog draws nothing for
 * seconds, and a spinner draws while nothing is being asked. The file can
 * miss a quick turn, so the conversation's transcript (claude-transcript.ts)
 * corrects it.
 *
 * Only a regular file owned by the daemon's uid, under the size cap, that
 * parses, is read: HOME comes from the session's environment, and nothing
 * in it may crash the daemon or be followed through a link.
 */
export class ClaudeStateReader {
  private readonly transcript: ClaudeTranscript;

  constructor(
    private readonly home: string,
    private readonly leaderPid: number,
    private readonly uid: number,
  ) {
    this.transcript = new ClaudeTranscript(home, uid);
  }

  /** What Claude Code says it is doing now; undefined when it says nothing readable. */
  read(): AgentActivity | undefined {
    const state = readClaudeState(this.home, this.leaderPid, this.uid);
    if (!state) return undefined;
    if (state.sessionId === null) return state.activity;
    return withTranscriptTurns(state.activity, this.transcript.read(state.sessionId, state.cwd));
  }
}

function readClaudeState(home: string, leaderPid: number, uid: number): ClaudeStateRead | undefined {
  const dir = join(home, '.claude', 'sessions');
  const own = readStateFile(join(dir, `${leaderPid}.json`), uid);
  if (own && isLive(leaderPid, own)) return toStateRead(own);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m || Number(m[1]) === leaderPid || !descendsFrom(Number(m[1]), leaderPid)) continue;
    const state = readStateFile(join(dir, name), uid);
    if (state && isLive(Number(m[1]), state)) return toStateRead(state);
  }
  return undefined;
}

function toStateRead(state: StateFile): ClaudeStateRead | undefined {
  const activity = toActivity(state);
  if (!activity) return undefined;
  return { activity, sessionId: typeof state.sessionId === 'string' ? state.sessionId : null, cwd: typeof state.cwd === 'string' ? state.cwd : null };
}

/** True when the command looks like Claude Code, or the session was started with the claude preset. */
export function isClaudeSession(command: readonly string[], preset: string | null | undefined): boolean {
  if (preset === 'claude') return true;
  const program = basename(command[0] ?? '');
  return program === 'claude' || program === 'claude.exe';
}

type StateFile = { status?: unknown; waitingFor?: unknown; procStart?: unknown; statusUpdatedAt?: unknown; sessionId?: unknown; cwd?: unknown };

/** A file left by a Claude Code that died, whose pid is now another process, is not that process's state. */
function isLive(pid: number, state: StateFile): boolean {
  if (state.procStart === undefined) return true;
  const started = readProcStat(pid)?.startTime;
  return started === undefined || String(started) === String(state.procStart);
}

function toActivity(state: StateFile): AgentActivity | undefined {
  const since = typeof state.statusUpdatedAt === 'number' && Number.isFinite(state.statusUpdatedAt) ? state.statusUpdatedAt : null;
  switch (state.status) {
    case 'busy':
      return { activity: 'busy', waitingFor: null, since };
    case 'idle':
      return { activity: 'idle', waitingFor: null, since };
    case 'waiting':
      return { activity: 'waiting', waitingFor: typeof state.waitingFor === 'string' && /permission/i.test(state.waitingFor) ? 'permission' : 'input', since };
    default:
      return undefined;
  }
}

function readStateFile(path: string, uid: number): StateFile | undefined {
  // Missing, being rewritten (a torn read), or not JSON: no state this time.
  return readOwnedFile(path, uid, (fd, size) => {
    if (size > MAX_STATE_FILE_BYTES) return undefined;
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const value: unknown = JSON.parse(buf.subarray(0, n).toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as StateFile) : undefined;
  });
}

function descendsFrom(pid: number, ancestor: number): boolean {
  let current = pid;
  for (let depth = 0; depth < MAX_ANCESTRY_DEPTH; depth++) {
    const ppid = readProcStat(current)?.ppid;
    if (ppid === undefined || ppid <= 1) return false;
    if (ppid === ancestor) return true;
    current = ppid;
  }
  return false;
}
