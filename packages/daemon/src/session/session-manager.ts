import { basename } from 'node:path';
import { CcxError, DEFAULT_WINDOW_SIZE, shellQuote, type ParamsOf, type SessionInfo } from '@ccx/shared';
import type { Logger } from '../logger.js';
import { hasProcfs } from '../process/proc.js';
import { findLeftoversOfSessions, findProcessesOfSessions, signalSessions, type SessionProcessIdentity } from '../process/session-processes.js';
import type { SessionStore } from '../store/session-store.js';
import { Escalator } from './escalation.js';
import { newSessionId } from './session-id.js';
import { OutputLog } from './output-log.js';
import { Session, type SessionDeps } from './session.js';
import { AgentSession } from '../agent/agent-session.js';
import type { SessionRecord } from './session-record.js';

export const DEFAULT_COLS = 120;
export const DEFAULT_ROWS = 40;
/** Pause between pasted text and Enter; long enough for TUIs to end their paste handling. */
export const DEFAULT_ENTER_DELAY_MS = 150;

/** How long `stopAll` waits for killed processes to leave their cgroups. */
export const CGROUP_EMPTY_WAIT_MS = 1_000;

export type StartParams = ParamsOf<'session.start'> & { enterDelayMs?: number };

/** Owns every session of this daemon: creation, lookup by id/prefix/name, removal. */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  readonly escalator: Escalator;

  constructor(
    private readonly deps: SessionDeps,
    private readonly store: SessionStore,
    private readonly logger: Logger,
  ) {
    this.escalator = new Escalator(deps.bus, logger, deps.processes);
  }

  /**
   * Loads every stored session. One recorded as running belongs to a daemon
   * that died: it becomes `lost` and whatever is left of its processes is
   * killed (matched by env marker, and by pid only with the same start time).
   */
  restore(): { lost: string[]; killed: number[] } {
    const lost: string[] = [];
    const killed: number[] = [];
    const incomplete: string[] = [];
    const unreadable: Array<{ id: string; error: string }> = [];
    const records = this.store.loadAll({
      onUnreadable: (id, problem, setAside) => {
        this.logger.warn('unreadable session record set aside', { session: id, problem, setAside });
        const where = setAside ? `set aside as ${basename(setAside)}` : 'it could not be moved aside';
        unreadable.push({ id, error: `unreadable record: its meta.json ${problem.startsWith('field') ? 'has ' + problem : 'is ' + problem}; ${where}` });
      },
      onIncomplete: (id) => incomplete.push(id),
      onForeign: (id, reason) => this.logger.warn('ignored a session directory the daemon does not own', { session: id, reason }),
    });
    // Every lost session's leftovers are killed together: one /proc scan per pass, not three per session.
    // A session without a record is found by its env marker alone.
    const leftovers: SessionProcessIdentity[] = records
      .filter((r) => r.status === 'running' && r.pid !== null)
      .map((r): SessionProcessIdentity => ({ sessionId: r.id, pid: r.pid!, startTime: r.processStartTime ?? undefined }))
      // Nothing in a bad record is trusted (its pid may be anyone's): only the marker.
      .concat([...incomplete, ...unreadable.map((u) => u.id)].map((id) => ({ sessionId: id })));
    killed.push(...signalSessions(leftovers, 'SIGKILL', this.deps.processes));
    for (const id of incomplete) {
      // Its metadata was never saved. If no client was told of it (no
      // started marker) and it has no output, nothing is lost by removing it;
      // otherwise it stays listed as lost, with its output if any.
      const hasOutput = OutputLog.holdsOutput(this.store.dirOf(id));
      if (!hasOutput && !this.store.wasStarted(id)) {
        this.store.remove(id);
        this.logger.warn('removed a session directory that has neither metadata nor output', { session: id });
        continue;
      }
      const error = hasOutput
        ? 'its metadata was never saved (a full disk, or the daemon died as it started); its output is kept'
        : 'its metadata was never saved (a full disk, or the daemon died as it started); its start had been acknowledged';
      this.addLost(this.salvagedRecord(id, error), lost);
    }
    for (const { id, error } of unreadable) this.addLost(this.salvagedRecord(id, error), lost);
    for (const record of records) {
      const session = this.sessionFor(record);
      this.sessions.set(record.id, session);
      if (record.status !== 'running') continue;
      session.markLost('the daemon stopped while this session ran');
      lost.push(record.id);
    }
    // Cgroups of sessions that ended or were removed while no daemon ran, now empty.
    this.deps.processes.cgroups?.sweep();
    return { lost, killed };
  }

  /** Lists a session the daemon knows only by its directory as lost, and saves its record. */
  private addLost(record: SessionRecord, lost: string[]): void {
    const session = this.sessionFor(record);
    this.sessions.set(record.id, session);
    session.announceSalvaged();
    lost.push(record.id);
  }

  /** A record for a session whose metadata is missing or unreadable: only its id and output are known. */
  private salvagedRecord(id: string, error: string): SessionRecord {
    const now = this.deps.now().toISOString();
    return {
      id,
      name: null,
      status: 'lost',
      command: [],
      cwd: '',
      cols: DEFAULT_COLS,
      rows: DEFAULT_ROWS,
      createdAt: now,
      startedAt: null,
      endedAt: now,
      lastActivityAt: null,
      exitCode: null,
      signal: null,
      error,
      pid: null,
      processStartTime: null,
      preset: null,
      enterDelayMs: DEFAULT_ENTER_DELAY_MS,
    };
  }

  start(params: StartParams, baseEnv: Record<string, string>): { session: Session; reused?: boolean; nameTakenFrom?: string } {
    if (params.reuse && params.name === undefined) throw new CcxError('E_USAGE', '--reuse needs --name: it reuses the running session of that name', 'example: ccx start --name py --reuse -- python3 -q');
    let nameTakenFrom: string | undefined;
    if (params.name !== undefined) {
      // An id is a target too: a name that equals another session's id would make one of them unreachable.
      const withThatId = this.sessions.get(params.name);
      if (withThatId) {
        throw new CcxError('E_NAME_TAKEN', `${params.name} is the id of session ${withThatId.label}`, 'pick another --name');
      }
      const existing = this.byName(params.name);
      if (existing && params.reuse && existing.isRunning) return { session: existing, reused: true };
      // An ended session of that name does not block --reuse: cron's next run starts a fresh one.
      if (existing && existing.isRunning) {
        throw new CcxError('E_NAME_TAKEN', `a session named ${params.name} exists (${existing.id}, ${existing.record.status})`, `pick another --name, use --reuse, or remove it: ccx rm ${shellQuote(params.name)}`);
      }
      // An ended session's name is given to the new one, as tmux reuses names.
      if (existing) {
        existing.record.name = null;
        existing.persist();
        nameTakenFrom = existing.id;
      }
    }
    let id = newSessionId();
    // Nor may a new id equal a name in use.
    while (this.sessions.has(id) || this.byName(id)) id = newSessionId();
    const now = this.deps.now().toISOString();
    const record: SessionRecord = {
      id,
      name: params.name ?? null,
      status: 'running',
      command: params.command,
      cwd: params.cwd ?? process.cwd(),
      cols: params.cols ?? DEFAULT_COLS,
      rows: params.rows ?? DEFAULT_ROWS,
      createdAt: now,
      startedAt: null,
      endedAt: null,
      lastActivityAt: null,
      exitCode: null,
      signal: null,
      error: null,
      pid: null,
      processStartTime: null,
      preset: params.preset ?? null,
      enterDelayMs: params.enterDelayMs ?? DEFAULT_ENTER_DELAY_MS,
      windowSize: params.windowSize ?? this.deps.defaultWindowSize ?? DEFAULT_WINDOW_SIZE,
      ...(params.agent ? { agent: { kind: params.agent.kind, model: params.agent.model ?? null, permissionMode: params.agent.permissionMode ?? null, approvalTimeoutMs: params.agent.approvalTimeoutMs ?? null, claudeSessionId: null, costUsd: 0, turns: 0 } } : {}),
    };
    this.store.create(id);
    const session = this.sessionFor(record);
    this.sessions.set(id, session);
    this.deps.bus.publish('session-created', { sessionId: id, name: record.name, command: record.command, cwd: record.cwd });
    session.spawn({ ...baseEnv, ...(params.env ?? {}) }, params.umask);
    // Before the reply: from here a client knows of it, so it is never deleted as an unfinished start.
    this.store.markStarted(id);
    return { session, nameTakenFrom };
  }

  /** A structured agent session (start --agent) or a PTY one, by its record. */
  private sessionFor(record: SessionRecord): Session {
    return record.agent ? new AgentSession(record, this.deps) : new Session(record, this.deps);
  }

  /** Every session, in no particular order. */
  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** Finds a session by exact id, then name, then unique id prefix. */
  resolve(target: string): Session {
    const exact = this.sessions.get(target);
    if (exact) return exact;
    const named = this.byName(target);
    if (named) return named;
    const matches = [...this.sessions.values()].filter((s) => s.id.startsWith(target));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      const candidates = matches.map((s) => s.id);
      throw new CcxError('E_AMBIGUOUS', `${target} matches ${matches.length} sessions: ${candidates.join(', ')}`, 'type more characters of the id, or use the name', { candidates });
    }
    throw new CcxError('E_NOT_FOUND', `no session ${target}`, 'see the sessions with: ccx list --all');
  }

  /**
   * Sessions to list: running ones, and ended ones whose program left
   * processes running (with `all`, every session). Leftovers are looked for in
   * one /proc scan, only in ended sessions that had some or were not yet looked at.
   */
  list(all: boolean): SessionInfo[] {
    this.refreshLeftovers([...this.sessions.values()].filter((s) => s.mayHaveLeftovers));
    return [...this.sessions.values()]
      .filter((s) => all || s.isRunning || s.leftoverPids.length > 0)
      .map((s) => s.info())
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  private refreshLeftovers(sessions: Session[]): void {
    if (sessions.length === 0) return;
    const found = findLeftoversOfSessions(sessions.map((s) => s.identity), this.deps.processes);
    for (const s of sessions) {
      const left = found.get(s.id) ?? [];
      s.setLeftovers(left);
      if (left.length === 0) this.deps.processes.cgroups?.release(s.id);
    }
  }

  /** SIGKILL to what ended sessions left running: `rm` and `daemon stop` leave nothing behind. */
  private endLeftovers(sessions: Session[]): void {
    const ended = sessions.filter((s) => s.isEnded);
    // Without /proc a recorded pid may be anyone's by now (see findLeftoversOfSessions).
    if (ended.length === 0 || !hasProcfs) return;
    const killed = signalSessions(ended.map((s) => s.identity), 'SIGKILL', this.deps.processes);
    if (killed.length) this.logger.info('killed processes left by ended sessions', { sessions: ended.map((s) => s.id), pids: killed });
    for (const s of ended) s.setLeftovers([]);
  }

  async remove(targets: string[], force: boolean): Promise<string[]> {
    const sessions = targets.map((t) => this.resolve(t));
    for (const session of sessions) {
      if (session.isRunning && !force) {
        throw new CcxError('E_USAGE', `session ${session.label} is running`, `cancel it first (ccx cancel ${session.id}) or pass --force`);
      }
    }
    const removed: string[] = [];
    for (const session of sessions) {
      if (session.isRunning) await this.escalator.cancel(session, { force: true });
      this.endLeftovers([session]);
      this.drop(session);
      removed.push(session.id);
    }
    return removed;
  }

  /** Removes ended sessions that ended more than `olderThanMs` ago. */
  prune(olderThanMs: number): string[] {
    const cutoff = this.deps.now().getTime() - olderThanMs;
    const pruned: string[] = [];
    for (const session of [...this.sessions.values()]) {
      if (!session.isEnded) continue;
      const endedAt = Date.parse(session.record.endedAt ?? session.record.createdAt);
      if (endedAt <= cutoff) {
        // Like rm: once its record goes, nothing would find what it left running.
        this.endLeftovers([session]);
        this.drop(session);
        pruned.push(session.id);
      }
    }
    return pruned;
  }

  /** Ends every running session's processes; used when the daemon stops. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.sessions.values()].filter((s) => s.isRunning).map((s) => this.escalator.cancel(s, { graceMs: 500 }).catch(() => undefined)),
    );
    this.endLeftovers([...this.sessions.values()]);
    // Killed processes leave their cgroups as they are reaped: give them a moment, so no empty cgroup outlives the daemon.
    const cgroups = this.deps.processes.cgroups;
    const deadline = Date.now() + CGROUP_EMPTY_WAIT_MS;
    while (cgroups && cgroups.sweep() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /** Listeners, waiters and attached clients summed over every session, for leak checks. */
  resourceCounts(): { outputListeners: number; exitWaiters: number; attachedClients: number } {
    const totals = { outputListeners: 0, exitWaiters: 0, attachedClients: 0 };
    for (const s of this.sessions.values()) {
      const c = s.listenerCounts();
      totals.outputListeners += c.output;
      totals.exitWaiters += c.exit;
      totals.attachedClients += s.clients.count;
    }
    return totals;
  }

  counts(): { total: number; running: number } {
    let running = 0;
    for (const s of this.sessions.values()) if (s.isRunning) running++;
    return { total: this.sessions.size, running };
  }

  dispose(): void {
    for (const session of this.sessions.values()) session.dispose();
  }

  private drop(session: Session): void {
    session.dispose();
    this.deps.processes.cgroups?.release(session.id);
    this.sessions.delete(session.id);
    this.store.remove(session.id);
    this.deps.bus.publish('session-removed', { sessionId: session.id });
  }

  private byName(name: string): Session | undefined {
    for (const s of this.sessions.values()) if (s.record.name === name) return s;
    return undefined;
  }
}
