import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { CcxError, type SendResult, type SessionInfo } from '@ccx/shared';
import type { Disposable } from '../disposable.js';
import { readProcStat } from '../process/proc.js';
import type { AgentActivity } from '../session/agent-state.js';
import { signalName, type BackendExit } from '../session/backend.js';
import { Session, type SessionDeps, type StreamedText } from '../session/session.js';
import type { SessionRecord } from '../session/session-record.js';
import type { AgentRecord } from './agent-record.js';
import { Approvals } from './approvals.js';
import { spawnClaude } from './claude-process.js';
import { StreamJsonBackend } from './stream-json-backend.js';
import { StreamJsonClient } from './stream-json-client.js';
import { TurnLedger } from './turn-ledger.js';
import { agentMessagesOf, renderAgentMessage, renderUserText } from './transcript.js';

/** The raw stream-json messages of a session, one per line (`logs --json`). */
export const MESSAGES_FILE = 'messages.jsonl';
/** messages.jsonl stops growing here (the transcript in the output log goes on, rotated). */
export const MAX_MESSAGES_BYTES = 64 * 1024 * 1024;
/** Claude Code's stderr kept in the transcript, per session. */
const MAX_STDERR_BYTES = 64 * 1024;

/** The end of one turn: Claude Code's `result` message. */
export interface TurnOutcome {
  result: string;
  isError: boolean;
  subtype: string;
  durationMs: number;
  costUsd: number;
  usage: unknown;
  /** The messages of the turn, its result message last (`send --wait --json`). */
  messages: Array<Record<string, unknown>>;
}

/** A turn's messages kept for its `send --wait --json`; a longer turn keeps its last ones. */
const TURN_MESSAGES_KEPT = 1_000;


/**
 * A structured agent session: Claude Code run with `-p --input-format
 * stream-json --output-format stream-json --permission-prompt-tool stdio`
 * on pipes instead of a PTY. It is a Session (record, output log, turn
 * queue, lifecycle) whose output log holds a readable transcript, so list,
 * logs, wait --until, cancel and rm work unchanged; turns, interrupts and
 * approvals go through the control protocol (stream-json-client.ts).
 */
export class AgentSession extends Session {
  /** Claude Code on its pipes; undefined before spawn and after its exit. */
  private pipes: StreamJsonBackend | undefined;
  private client: StreamJsonClient | undefined;
  readonly approvals: Approvals;
  private readonly ledger = new TurnLedger<TurnOutcome>();
  private messagesBytes = 0;
  private turnMessages: Array<Record<string, unknown>> = [];
  private stderrBytes = 0;

  constructor(
    record: SessionRecord,
    private readonly agentDeps: SessionDeps,
  ) {
    super(record, agentDeps);
    this.approvals = new Approvals({
      sessionId: record.id,
      now: agentDeps.now,
      timeoutMs: record.agent?.approvalTimeoutMs ?? null,
      reply: (id, answer) => this.client?.answerPermission(id, answer),
      onRequested: (info) => {
        this.appendTranscript(`[approval ${info.requestId}] ${info.tool} ${JSON.stringify(info.input)}\n`);
        this.agentDeps.bus.publish('approval-request', { sessionId: this.id, requestId: info.requestId, tool: info.tool, input: info.input, suggestions: info.suggestions });
        this.updateActivity();
      },
      onAnswered: (id, a) => {
        this.appendTranscript(`[${a.approved ? 'approved' : 'denied'} ${id} by ${a.by}${a.message ? `: ${a.message}` : ''}]\n`);
        this.agentDeps.bus.publish('approval-confirmed', { sessionId: this.id, requestId: id, approved: a.approved, by: a.by, ...(a.message !== undefined ? { message: a.message } : {}) });
        this.updateActivity();
      },
      onExpired: (id) => {
        this.appendTranscript(`[expired ${id}: denied, nobody answered in time]\n`);
        this.agentDeps.bus.publish('approval-expired', { sessionId: this.id, requestId: id });
        this.updateActivity();
      },
    });
  }

  get messagesPath(): string {
    return join(this.agentDeps.store.dirOf(this.id), MESSAGES_FILE);
  }

  get agent(): AgentRecord {
    return this.record.agent!;
  }

  override spawn(baseEnv: Record<string, string>, umask?: number): void {
    this.start(baseEnv, umask, false);
  }

  /** Starts Claude Code again on the recorded conversation (`claude --resume`). */
  resume(baseEnv: Record<string, string>, umask?: number): void {
    if (this.isRunning) throw new CcxError('E_USAGE', `session ${this.label} is running`, `talk to it: ccx send ${this.id} --wait TEXT`);
    if (!this.agent.claudeSessionId) throw new CcxError('E_NOT_FOUND', `session ${this.label} has no Claude session id to resume (it never got one)`, `start a new one: ccx start --agent claude`);
    this.status.resumed();
    this.cancelRequested = false;
    this.start(baseEnv, umask, true);
  }

  private start(baseEnv: Record<string, string>, umask: number | undefined, resume: boolean): void {
    let backend: StreamJsonBackend;
    try {
      backend = new StreamJsonBackend(spawnClaude({ sessionId: this.id, command: this.record.command, cwd: this.record.cwd, env: baseEnv, umask, agent: this.agent, resume, processes: this.agentDeps.processes, logger: this.agentDeps.logger }));
    } catch (error) {
      const failure = error instanceof CcxError ? error : new CcxError('E_SPAWN', `could not start ${this.record.command[0]}: ${(error as Error).message}`, 'check the command and its permissions');
      this.status.failed(failure);
      throw failure;
    }
    this.pipes = backend;
    this.ledger.reset();
    backend.onStderr((chunk) => {
      if (this.stderrBytes >= MAX_STDERR_BYTES) return;
      this.stderrBytes += chunk.length;
      this.appendTranscript(`[stderr] ${chunk.toString('utf8').trimEnd()}\n`);
    });
    this.client = new StreamJsonClient(backend, {
      onMessage: (m) => this.handleMessage(m),
      onPermission: (req) => this.approvals.request(req),
      onGarbage: (what) => this.agentDeps.logger.warn('Claude Code sent something that is not a stream-json message', { session: this.id, what }),
    });
    this.client.initialize().catch((error) => this.agentDeps.logger.warn('Claude Code did not take the initialize request', { session: this.id, error: String(error) }));
    backend.onExit((exit) => this.finish(exit));
    this.status.started(backend.pid, readProcStat(backend.pid)?.startTime ?? null);
    // Busy/idle/waiting come from the protocol (updateActivity), not from output; a new process starts idle.
    this.activityTracker.speaksFor({ activity: 'idle', waitingFor: null, since: Date.now() });
    if (resume) this.appendTranscript(`\n[resumed Claude session ${this.agent.claudeSessionId}]\n`);
    this.agentDeps.bus.publish('session-started', { sessionId: this.id, pid: backend.pid, command: this.record.command });
  }

  /** A user message; see `submit`. */
  override async send(opts: { text?: string | StreamedText; enter: boolean; keys: string[]; source?: string; record?: boolean }): Promise<SendResult> {
    return (await this.submit(opts)).result;
  }

  /** A user message, and the number of its turn (one message is one turn: turn-ledger.ts). */
  async submit(opts: { text?: string | StreamedText; keys: string[]; source?: string; record?: boolean }): Promise<{ result: SendResult; turn: number }> {
    if (!this.isRunning || !this.client) throw new CcxError('E_NOT_RUNNING', `session ${this.label} is ${this.record.status}`, `continue its conversation: ccx resume ${this.id}`);
    if (opts.keys.length) throw new CcxError('E_USAGE', `session ${this.label} is a structured agent session: it takes messages, not keys`, `send text: ccx send ${this.id} 'TEXT'; to stop a turn: ccx interrupt ${this.id}`);
    let text = opts.text;
    if (text !== undefined && typeof text !== 'string') {
      const parts: Buffer[] = [];
      for (let got = 0; got < text.bytes; ) {
        const chunk = await text.next();
        parts.push(chunk);
        got += chunk.length;
      }
      text = Buffer.concat(parts).toString('utf8');
    }
    if (!text) throw new CcxError('E_USAGE', 'nothing to send: a structured agent session takes a message', `ccx send ${this.id} 'TEXT'`);
    if (!this.isRunning || !this.client) throw new CcxError('E_NOT_RUNNING', `session ${this.label} is ${this.record.status}`, `continue its conversation: ccx resume ${this.id}`);
    const offset = this.output.end;
    const { turn, now } = this.ledger.add(text);
    const bytes = Buffer.byteLength(text);
    if (now) this.write(text);
    this.inputMark = offset;
    if (opts.record !== false) this.agentDeps.bus.publish('input-sent', { sessionId: this.id, bytes, source: opts.source ?? 'send' });
    this.updateActivity();
    return { result: { session: this.id, bytes, written: now ? bytes : 0, queued: now ? 0 : bytes, bracketedPaste: false, writtenAt: this.agentDeps.now().toISOString(), offset }, turn };
  }

  private write(text: string): void {
    this.appendTranscript(renderUserText(text));
    // Claude Code does not echo the user's messages: record them so messages.jsonl holds the whole conversation.
    this.recordRaw({ type: 'user', message: { role: 'user', content: text } });
    this.client?.sendUser(text);
  }

  /** Resolves with the result of turn `turn` (see submit), or undefined if the session ends first. */
  turnEnd(turn: number): { done: Promise<TurnOutcome | undefined>; cancel: () => void } {
    return this.ledger.turnEnd(turn);
  }

  /** How many turns are written but not answered (0: idle). */
  get turnsOutstanding(): number {
    return this.ledger.outstanding;
  }

  /** Aborts the turn under way; pending approvals are dropped (Claude Code no longer waits for them). */
  async interrupt(): Promise<void> {
    if (!this.client) throw new CcxError('E_NOT_RUNNING', `session ${this.label} is ${this.record.status}`, `continue its conversation: ccx resume ${this.id}`);
    this.approvals.clear();
    this.appendTranscript('[interrupted]\n');
    await this.client.interrupt();
  }

  /** Closes Claude Code's input: it ends when its turn is done. */
  endInput(): void {
    this.client?.endInput();
  }

  override info(): SessionInfo {
    const a = this.agent;
    return {
      ...super.info(),
      agent: { kind: a.kind, claudeSessionId: a.claudeSessionId, costUsd: a.costUsd, turns: a.turns, pendingApprovals: this.approvals.count },
    };
  }

  override dispose(): void {
    this.approvals.clear();
    this.pipes?.dispose();
    super.dispose();
  }

  private handleMessage(m: Record<string, unknown>): void {
    this.recordRaw(m);
    this.turnMessages.push(m);
    if (this.turnMessages.length > TURN_MESSAGES_KEPT) this.turnMessages.shift();
    if (m.type === 'system' && m.subtype === 'init' && typeof m.session_id === 'string' && m.session_id !== this.agent.claudeSessionId) {
      this.agent.claudeSessionId = m.session_id;
      this.persist();
      return;
    }
    if (m.type === 'assistant' || m.type === 'user') {
      for (const message of agentMessagesOf(m)) {
        this.appendTranscript(renderAgentMessage(message));
        this.agentDeps.bus.publish('agent-message', { sessionId: this.id, ...message });
      }
      return;
    }
    if (m.type === 'result') this.turnEnded(m);
  }

  private turnEnded(m: Record<string, unknown>): void {
    const outcome: TurnOutcome = {
      result: typeof m.result === 'string' ? m.result : '',
      isError: m.is_error === true,
      subtype: typeof m.subtype === 'string' ? m.subtype : 'unknown',
      durationMs: typeof m.duration_ms === 'number' ? m.duration_ms : 0,
      // total_cost_usd is this Claude process's running total: a turn costs the difference.
      costUsd: Math.max(0, (typeof m.total_cost_usd === 'number' ? m.total_cost_usd : this.processCostUsd) - this.processCostUsd),
      usage: m.usage ?? null,
      messages: this.turnMessages,
    };
    this.turnMessages = [];
    const a = this.agent;
    a.turns++;
    a.costUsd += outcome.costUsd;
    this.processCostUsd += outcome.costUsd;
    this.persist();
    this.appendTranscript(`[turn ${outcome.subtype}: ${(outcome.durationMs / 1000).toFixed(1)} s, $${outcome.costUsd.toFixed(4)}]\n`);
    this.agentDeps.bus.publish('turn-completed', { sessionId: this.id, durationMs: outcome.durationMs, costUsd: outcome.costUsd, usage: outcome.usage, result: outcome.result });
    // The next waiting message is the next turn.
    const next = this.ledger.ended(outcome);
    if (next !== undefined) this.write(next);
    this.updateActivity();
  }

  /** What this Claude process has cost so far (its results' total_cost_usd; a resumed one counts from 0 again). */
  private processCostUsd = 0;

  /** Busy/idle/waiting from the protocol itself: a turn runs from a user message to its result; waiting while a permission is asked. */
  private updateActivity(): void {
    if (!this.isRunning) return;
    const activity: AgentActivity['activity'] = this.approvals.count > 0 ? 'waiting' : this.turnsOutstanding > 0 ? 'busy' : 'idle';
    const waitingFor: AgentActivity['waitingFor'] = activity === 'waiting' ? 'permission' : null;
    const was = this.activityTracker.agent;
    if (was && activity === was.activity && waitingFor === was.waitingFor) return;
    // The tracker announces it (the status machine's session-status) and tells the waiters (onAgentState).
    this.activityTracker.reported({ activity, waitingFor, since: Date.now() });
  }

  private finish({ exitCode, signal }: BackendExit): void {
    this.approvals.clear();
    this.processCostUsd = 0;
    this.client = undefined;
    this.pipes = undefined;
    this.activityTracker.stop();
    this.output.close();
    this.status.ended({ exitCode, signalName: signalName(signal), cancelled: this.cancelRequested });
    const dropped = this.ledger.abort();
    if (dropped) this.appendTranscript(`[${dropped} message(s) sent during the last turn were never written: Claude Code ended]\n`);
    this.notifyExited();
  }

  private recordRaw(m: Record<string, unknown>): void {
    if (this.messagesBytes >= MAX_MESSAGES_BYTES) return;
    const line = JSON.stringify(m) + '\n';
    this.messagesBytes += Buffer.byteLength(line);
    try {
      appendFileSync(this.messagesPath, line, { mode: 0o600 });
    } catch (error) {
      this.agentDeps.logger.warn('could not append to messages.jsonl', { session: this.id, error: String(error) });
    }
  }

  /** Appends to the transcript (the output log) and tells followers, as a PTY session's output does. */
  private appendTranscript(text: string): void {
    const chunk = Buffer.from(text, 'utf8');
    try {
      this.output.append(chunk);
    } catch (error) {
      this.agentDeps.logger.warn('transcript write failed', { session: this.id, error: String(error) });
      return;
    }
    this.emitOutput(chunk);
  }
}
