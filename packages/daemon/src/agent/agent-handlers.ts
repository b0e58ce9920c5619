import { readFileSync } from 'node:fs';
import { CcxError, type ApprovalsResult, type ApproveResult, type CancelResult, type MessagesResult, type ScreenResult, type SendResult, type SessionInfo, type TurnFrame, type TurnResult, type WaitResult } from '@ccx/shared';
import { pulledText } from '../handlers/turn-handlers.js';
import type { FrameOf, ParamsOf, ResultOf, StreamMethod, UnaryMethod } from '@ccx/shared';
import { unary, type HandlerTable, type RequestContext, type SessionContext, type StreamHandler, type StreamSink, type StreamSpec, type UnaryHandler, type UnarySpec } from '../router.js';
import { tailOffset } from '../session/log-tail.js';
import type { Session } from '../session/session.js';
import type { SessionManager } from '../session/session-manager.js';
import { AgentSession, type TurnOutcome } from './agent-session.js';

/** Lines of transcript `screen` shows without --scrollback. */
const SCREEN_LINES = 40;
/** How long a cancel lets Claude Code end by itself once its input is closed, before signals. */
const END_OF_INPUT_WAIT_MS = 2_000;
/** At most this much of messages.jsonl is read for `logs --json`. */
const MAX_MESSAGES_READ_BYTES = 64 * 1024 * 1024;

function agentOf(session: Session | undefined): AgentSession | undefined {
  return session instanceof AgentSession ? session : undefined;
}

function noTerminal(session: Session): CcxError {
  return new CcxError('E_USAGE', `session ${session.label} is a structured agent session: it has no terminal`, `read it: ccx logs ${session.id}; talk to it: ccx send ${session.id} --wait TEXT`);
}

type AgentUnary<M extends UnaryMethod> = (s: AgentSession, params: ParamsOf<M>, ctx: RequestContext) => ResultOf<M> | Promise<ResultOf<M>>;
type AgentStream<M extends StreamMethod> = (s: AgentSession, params: ParamsOf<M>, ctx: RequestContext, sink: StreamSink<FrameOf<M>, ResultOf<M>>) => void | Promise<void>;

/** The session a request names: the router's resolution when the method declares a target, else its own. */
function sessionIn(ctx: RequestContext, params: unknown, sessions: SessionManager): Session | undefined {
  if ('session' in ctx) return (ctx as SessionContext).session;
  const target = (params as { target?: unknown }).target;
  return typeof target === 'string' ? sessions.resolve(target) : undefined;
}

function onlyForAgents(method: string): CcxError {
  return new CcxError('E_USAGE', `${method} is for structured agent sessions (ccx start --agent claude)`, 'see the kinds with: ccx list');
}

/**
 * One unary method of the table, handled here for agent sessions and by the
 * table's own handler (same declared target) for the others.
 */
function unaryFor<M extends UnaryMethod>(method: M, own: UnarySpec<M> | undefined, sessions: SessionManager, agent: AgentUnary<M>): UnarySpec<M> {
  const handle = (params: ParamsOf<M>, ctx: RequestContext): ResultOf<M> | Promise<ResultOf<M>> => {
    const a = agentOf(sessionIn(ctx, params, sessions));
    if (a) return agent(a, params, ctx);
    // With a declared target the dispatcher made ctx a SessionContext.
    if (own) return (own.handle as UnaryHandler<M>)(params, ctx);
    throw onlyForAgents(method);
  };
  return (own?.target ? { kind: 'unary', target: own.target, handle } : { kind: 'unary', handle }) as UnarySpec<M>;
}

/** The same for a stream method. */
function streamFor<M extends StreamMethod>(method: M, own: StreamSpec<M> | undefined, sessions: SessionManager, agent: AgentStream<M>): StreamSpec<M> {
  const handle = (params: ParamsOf<M>, ctx: RequestContext, sink: StreamSink<FrameOf<M>, ResultOf<M>>): void | Promise<void> => {
    const a = agentOf(sessionIn(ctx, params, sessions));
    if (a) return agent(a, params, ctx, sink);
    if (own) return (own.handle as StreamHandler<M>)(params, ctx, sink);
    throw onlyForAgents(method);
  };
  return (own?.target ? { kind: 'stream', target: own.target, handle } : { kind: 'stream', handle }) as StreamSpec<M>;
}

/**
 * Structured agent sessions (`start --agent claude`) plugged into the method
 * table: the verbs that differ for them (turns, wait, interrupt, approve,
 * cancel, screen) are handled here, every other session goes on to the
 * table's own handler; approvals.list, session.resume and session.messages
 * are theirs alone.
 */
export function withAgentSessions(table: HandlerTable, sessions: SessionManager, daemonEnv: NodeJS.ProcessEnv): HandlerTable {
  const ownWait = table['session.wait'];
  return {
    ...table,
    'session.turn': streamFor('session.turn', table['session.turn'], sessions, (s, params, _ctx, sink) => agentTurn(s, params, sink)),
    'session.wait': streamFor('session.wait', ownWait, sessions, (s, params, ctx, sink) =>
      agentWait(s, params, sink, () => {
        if (!ownWait) throw onlyForAgents('session.wait');
        return (ownWait.handle as StreamHandler<'session.wait'>)(params, ctx, sink);
      }),
    ),
    'session.interrupt': unaryFor('session.interrupt', table['session.interrupt'], sessions, async (s): Promise<SendResult> => {
      const result: SendResult = { session: s.id, bytes: 0, written: 0, queued: 0, bracketedPaste: false, writtenAt: new Date().toISOString(), offset: s.output.end };
      if (!s.isRunning) throw new CcxError('E_NOT_RUNNING', `session ${s.label} is ${s.record.status}`, `continue its conversation: ccx resume ${s.id}`);
      if (s.agentActivity?.activity === 'idle') return { ...result, skipped: 'idle' };
      await s.interrupt();
      return result;
    }),
    'session.approve': unaryFor('session.approve', table['session.approve'], sessions, (s, params, ctx): ApproveResult => {
      if (!s.isRunning) throw new CcxError('E_NOT_RUNNING', `session ${s.label} is ${s.record.status}`, `its transcript is kept: ccx logs ${s.id}`);
      const by = params.by ?? `client ${ctx.conn.id}`;
      const requestId = s.approvals.answer(params.requestId, { approved: params.approved, by, input: params.input, message: params.message });
      return { session: s.id, approved: params.approved, presses: 0, messageSent: false, requestId };
    }),
    'session.cancel': unaryFor('session.cancel', table['session.cancel'], sessions, async (s, params): Promise<CancelResult> => {
      if (s.isRunning && !params.force) {
        // Claude Code ends by itself when its input closes; signals only if it does not.
        s.cancelRequested = true;
        s.endInput();
        if (await s.waitForExit(Math.min(params.graceMs ?? END_OF_INPUT_WAIT_MS, END_OF_INPUT_WAIT_MS))) return { session: s.info(), steps: ['end of input'], timedOut: false };
      }
      return sessions.escalator.cancel(s, { graceMs: params.graceMs, force: params.force });
    }),
    'session.screen': unaryFor('session.screen', table['session.screen'], sessions, (s, params): ScreenResult => {
      const lines = SCREEN_LINES + (params.scrollback ?? 0);
      const end = s.output.end;
      const from = tailOffset(s.output, lines);
      const text = s.output.read(from, end - from).data.toString('utf8').replace(/\n+$/, '');
      return { session: s.id, cols: s.record.cols, rows: lines, cursor: { x: 0, y: text.split('\n').length }, alternateScreen: false, title: '', offset: end, text };
    }),
    'session.attach': streamFor('session.attach', table['session.attach'], sessions, (s) => {
      throw noTerminal(s);
    }),
    'session.resize': unaryFor('session.resize', table['session.resize'], sessions, (s) => {
      throw noTerminal(s);
    }),
    'approvals.list': unary((params): ApprovalsResult => {
      const targets = params.target !== undefined ? [sessions.resolve(params.target)] : sessions.all();
      return { approvals: targets.flatMap((s) => agentOf(s)?.approvals.list() ?? []) };
    }),
    'session.resume': unary(({ target, env, inheritDaemonEnv, umask }): SessionInfo => {
      const session = sessions.resolve(target);
      const s = agentOf(session);
      if (!s) throw new CcxError('E_USAGE', `session ${session.label} is not a structured agent session: there is no conversation to resume`, 'resume works for sessions started with ccx start --agent claude');
      const base = env && !inheritDaemonEnv ? {} : (daemonEnv as Record<string, string>);
      s.resume({ ...base, ...(env ?? {}) }, umask);
      return s.info();
    }),
    'session.messages': unary(({ target, tail }): MessagesResult => {
      const session = sessions.resolve(target);
      const s = agentOf(session);
      if (!s) throw new CcxError('E_USAGE', `session ${session.label} is not a structured agent session: it has output, not messages`, `ccx logs ${session.id}`);
      return { session: s.id, messages: readMessages(s.messagesPath, tail) };
    }),
  };
}

function readMessages(path: string, tail: number | undefined): unknown[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8').slice(-MAX_MESSAGES_READ_BYTES);
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A torn last line (the daemon died mid-write) is skipped.
    }
  }
  return tail !== undefined ? out.slice(-tail || out.length) : out;
}

function turnWait(outcome: TurnOutcome | undefined, s: AgentSession, from: number, startedAt: number, timedOut: boolean): WaitResult {
  const reason = outcome ? 'turn-end' : timedOut ? 'timeout' : 'ended';
  return {
    session: s.id,
    reason,
    met: outcome !== undefined,
    from,
    offset: s.output.end,
    elapsedMs: Date.now() - startedAt,
    match: null,
    status: s.record.status,
    exitCode: s.record.exitCode,
    signal: s.record.signal,
    ...(outcome ? { output: outcome.result, turn: { result: outcome.result, isError: outcome.isError, subtype: outcome.subtype, durationMs: outcome.durationMs, costUsd: outcome.costUsd, usage: outcome.usage, messages: outcome.messages } } : {}),
  };
}

/** Resolves with the turn's end, or undefined on timeout or when the stream closes. */
function raceTurn(done: Promise<TurnOutcome | undefined>, timeoutMs: number | undefined, sink: StreamSink): Promise<{ outcome: TurnOutcome | undefined; timedOut: boolean }> {
  return new Promise((resolve) => {
    const timer = timeoutMs !== undefined ? setTimeout(() => resolve({ outcome: undefined, timedOut: true }), timeoutMs) : undefined;
    sink.onClose(() => {
      clearTimeout(timer);
      resolve({ outcome: undefined, timedOut: false });
    });
    void done.then((outcome) => {
      clearTimeout(timer);
      resolve({ outcome, timedOut: false });
    });
  });
}

/** `send` to an agent session: a user message; with a wait, its answer is the turn's final text. */
async function agentTurn(s: AgentSession, params: any, sink: StreamSink): Promise<void> {
  if (params.keys?.length) throw new CcxError('E_USAGE', `session ${s.label} is a structured agent session: it takes messages, not keys`, `to stop a turn: ccx interrupt ${s.id}`);
  if (params.wait?.until || params.wait?.untilText || params.wait?.screen) {
    throw new CcxError('E_USAGE', `send --wait to a structured agent session waits for the end of the turn: --until and --screen do not apply`, `then look for text in the transcript: ccx wait ${s.id} --until PATTERN`);
  }
  const held = s.holdText(Buffer.byteLength(params.text ?? ''));
  sink.onClose(() => held.dispose());
  const askedAt = Date.now();
  const gone = new AbortController();
  sink.onClose(() => gone.abort());
  const turn = await s.turns.acquire({ noQueue: params.noQueue, timeoutMs: params.wait?.timeoutMs, signal: gone.signal, label: s.label, onQueued: (ahead) => sink.send({ k: 'queued', ahead } satisfies TurnFrame) });
  try {
    const text = params.textBytes !== undefined ? pulledText(sink, params.textBytes, gone.signal) : params.text;
    const submitted = await s.submit({ text, keys: [], record: params.record }).finally(() => held.dispose());
    const sent = submitted.result;
    const end = params.wait ? s.turnEnd(submitted.turn) : undefined;
    if (!end) return sink.end({ send: sent } satisfies TurnResult);
    sink.send({ k: 'sent', send: sent } satisfies TurnFrame);
    const timeoutMs = params.wait.timeoutMs !== undefined ? Math.max(0, params.wait.timeoutMs - (Date.now() - askedAt)) : undefined;
    const { outcome, timedOut } = await raceTurn(end.done, timeoutMs, sink);
    end.cancel();
    if (outcome) s.inputMark = s.output.end;
    if (!sink.closed) sink.end({ send: sent, wait: turnWait(outcome, s, sent.offset, askedAt, timedOut) } satisfies TurnResult);
  } finally {
    turn.dispose();
  }
}

/**
 * `wait` on an agent session: `--until`/`--until-text`/`--exit` look at the
 * transcript as for any session; otherwise (a bare `wait`, `--idle`,
 * `--wait-ready`) it waits until no turn runs, or an approval is asked for.
 */
async function agentWait(s: AgentSession, params: any, sink: StreamSink, general: () => unknown): Promise<void> {
  if (params.screen) throw noTerminal(s);
  if (params.until || params.untilText || params.exit) return void (await general());
  const startedAt = Date.now();
  const from = s.output.end;
  const settled = (): boolean => !s.isRunning || s.agentActivity?.activity !== 'busy';
  const result = (reason: WaitResult['reason']): WaitResult => ({ session: s.id, reason, met: reason !== 'timeout' && reason !== 'ended', from, offset: s.output.end, elapsedMs: Date.now() - startedAt, match: null, status: s.record.status, exitCode: s.record.exitCode, signal: s.record.signal });
  const reasonNow = (): WaitResult['reason'] => (!s.isRunning ? 'ended' : params.ready ? 'ready' : s.agentActivity?.activity === 'waiting' ? 'waiting' : 'turn-end');
  if (settled()) return sink.end(result(reasonNow()));
  await new Promise<void>((resolve) => {
    const timer = params.timeoutMs !== undefined ? setTimeout(() => finish('timeout'), params.timeoutMs) : undefined;
    const watch = s.onAgentState(() => settled() && finish(reasonNow()));
    const exit = s.waitForExit(2_147_483_647).then(() => finish(reasonNow()));
    void exit;
    sink.onClose(() => finish(undefined));
    function finish(reason: WaitResult['reason'] | undefined): void {
      clearTimeout(timer);
      watch.dispose();
      if (reason && !sink.closed) sink.end(result(reason));
      resolve();
    }
  });
}
