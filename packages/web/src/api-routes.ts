import type { CancelResult, OutputFrame, OutputStreamEnd, RemoveResult, ScreenResult, SendResult, SessionInfo, StartResult, TurnResult, WaitResult } from '@ccx/shared';
import { answerApproval, listApprovals } from './approvals.js';
import { conversationOf } from './conversation.js';
import { callDaemon, streamDaemon, type ConnectDaemon } from './daemon-link.js';
import { HttpError, readJsonBody, sendJson } from './http-io.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import type { Route } from './route-table.js';
import { serveEvents } from './event-stream.js';
import type { EventHub } from './event-hub.js';
import { outputFrameBytes as outputBytes } from './wire-bytes.js';

export interface ApiDeps {
  connect: ConnectDaemon;
  /** Environment and directory a session started from the page gets: the gateway's, as `ccx start` from its shell. */
  spawnEnv: Record<string, string>;
  spawnCwd: string;
  heartbeatMs: number;
  hub: EventHub;
}

/** A prompt given with POST /api/sessions waits this long for the program to be ready. */
const START_PROMPT_READY_MS = 60_000;
/** `wait: true` on a prompt: the answer, or at most this long. */
const PROMPT_WAIT_MS = 120_000;
/** GET logs returns at most this much of the output at once; `offset` says where to continue. */
const MAX_LOGS_BYTES = 8 * 1024 * 1024;

/** The fields of a send the API takes, checked here so a wrong type is a 400 naming the field. */
function sendFields(body: Record<string, unknown>): { text?: string; enter?: boolean; paste?: boolean; keys?: string[] } {
  const out: { text?: string; enter?: boolean; paste?: boolean; keys?: string[] } = {};
  if (body.text !== undefined) out.text = field(body, 'text', 'string');
  if (body.enter !== undefined) out.enter = field(body, 'enter', 'boolean');
  if (body.paste !== undefined) out.paste = field(body, 'paste', 'boolean');
  if (body.keys !== undefined) {
    if (!Array.isArray(body.keys) || !body.keys.every((k) => typeof k === 'string')) throw new HttpError(400, 'E_USAGE', 'keys must be an array of key names, e.g. ["C-c"]');
    out.keys = body.keys as string[];
  }
  if (out.text === undefined && (out.keys?.length ?? 0) === 0) throw new HttpError(400, 'E_USAGE', 'give text, keys, or both');
  return out;
}

function field<T extends 'string' | 'boolean' | 'number'>(body: Record<string, unknown>, name: string, type: T): T extends 'string' ? string : T extends 'boolean' ? boolean : number {
  const value = body[name];
  if (typeof value !== type) throw new HttpError(400, 'E_USAGE', `${name} must be a ${type}`);
  return value as never;
}

function optional<T extends 'string' | 'boolean' | 'number'>(body: Record<string, unknown>, name: string, type: T) {
  return body[name] === undefined ? undefined : field(body, name, type);
}

/** Sends one turn (queued behind other callers; with a wait, the answer comes back in the result). */
async function sendTurn(connect: ConnectDaemon, target: string, send: ReturnType<typeof sendFields>, wait?: Record<string, unknown>): Promise<TurnResult> {
  return streamDaemon(connect, 'session.turn', { target, enter: true, ...send, ...(wait ? { wait } : {}) }, () => undefined);
}

/** `wait: true`, or the wait conditions of `ccx send --wait` (until, untilText, idleMs, timeoutMs, capture, screen, exit). */
function waitParams(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { capture: 'auto', timeoutMs: PROMPT_WAIT_MS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'E_USAGE', 'wait must be true or an object of wait conditions (until, idleMs, timeoutMs, …)');
  return { capture: 'auto', timeoutMs: PROMPT_WAIT_MS, ...(value as Record<string, unknown>) };
}

export const API_ROUTES: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    handler: ({ res }) => sendJson(res, 200, OPENAPI_DOCUMENT),
  },
  {
    method: 'GET',
    path: '/api/sessions',
    summary: 'Every session, ended ones too',
    handler: async ({ res }, { connect }) => sendJson(res, 200, await callDaemon(connect, 'session.list', { all: true })),
  },
  {
    method: 'POST',
    path: '/api/sessions',
    summary: 'Start a session; an optional prompt is sent once the program is ready',
    handler: async ({ req, res }, { connect, spawnEnv, spawnCwd }) => {
      const body = await readJsonBody(req);
      const command = body.command;
      if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string' && c !== '')) {
        throw new HttpError(400, 'E_USAGE', 'command must be a non-empty array of strings, e.g. ["bash"]');
      }
      const prompt = optional(body, 'prompt', 'string');
      const started = await callDaemon(connect, 'session.start', {
        command,
        name: optional(body, 'name', 'string'),
        preset: optional(body, 'preset', 'string'),
        cwd: optional(body, 'cwd', 'string') ?? spawnCwd,
        cols: optional(body, 'cols', 'number'),
        rows: optional(body, 'rows', 'number'),
        env: spawnEnv,
      });
      let promptSent: SendResult | undefined;
      if (prompt !== undefined && prompt !== '') {
        const ready = await streamDaemon(connect, 'session.wait', { target: started.id, from: 0, ready: true, timeoutMs: START_PROMPT_READY_MS }, () => undefined);
        if (!ready.met) throw new HttpError(504, 'E_TIMEOUT', `session ${started.id} started but was not ready for the prompt (${ready.reason})`, `send it later: POST /api/session/${started.id}/prompt`);
        promptSent = (await sendTurn(connect, started.id, { text: prompt })).send;
      }
      sendJson(res, 201, { ...started, ...(promptSent ? { promptSent } : {}) });
    },
  },
  {
    method: 'GET',
    path: '/api/session/:id/status',
    summary: 'One session',
    handler: async ({ res, params }, { connect }) => sendJson(res, 200, await callDaemon(connect, 'session.get', { target: params.id! })),
  },
  {
    method: 'POST',
    path: '/api/session/:id/prompt',
    summary: 'Send text and/or keys as one turn; with wait, the answer comes back',
    handler: async ({ req, res, params }, { connect }) => {
      const body = await readJsonBody(req);
      sendJson(res, 200, await sendTurn(connect, params.id!, sendFields(body), waitParams(body.wait)));
    },
  },
  {
    method: 'POST',
    path: '/api/session/:id/cancel',
    summary: 'Abort: SIGINT, then SIGTERM after graceMs, then SIGKILL; the output log is kept',
    handler: async ({ req, res, params }, { connect }) => {
      const body = await readJsonBody(req);
      sendJson(res, 200, await callDaemon(connect, 'session.cancel', { target: params.id!, graceMs: optional(body, 'graceMs', 'number'), force: optional(body, 'force', 'boolean') }));
    },
  },
  {
    method: 'POST',
    path: '/api/session/:id/interrupt',
    summary: "Interrupt the program's current work (its preset's key, Ctrl-C by default)",
    handler: async ({ req, res, params }, { connect }) => {
      const body = await readJsonBody(req);
      sendJson(res, 200, await callDaemon(connect, 'session.interrupt', { target: params.id!, key: optional(body, 'key', 'string') }));
    },
  },
  {
    method: 'DELETE',
    path: '/api/session/:id',
    summary: 'Remove a session and its output (force: a running one too)',
    handler: async ({ res, params, query }, { connect }) =>
      sendJson(res, 200, await callDaemon(connect, 'session.rm', { targets: [params.id!], force: query.get('force') === '1' || query.get('force') === 'true' })),
  },
  {
    method: 'GET',
    path: '/api/session/:id/screen',
    summary: "What the session's terminal shows now (ansi=1: with colours)",
    handler: async ({ res, params, query }, { connect }) =>
      sendJson(res, 200, await callDaemon(connect, 'session.screen', { target: params.id!, ansi: query.get('ansi') === '1' || undefined })),
  },
  {
    method: 'GET',
    path: '/api/session/:id/logs',
    summary: 'The output from offset `since` (bytes, as text); `offset` is where to continue',
    handler: async ({ res, params, query }, { connect }) => {
      const since = query.get('since');
      if (since !== null && !/^\d+$/.test(since)) throw new HttpError(400, 'E_USAGE', 'since must be an output offset: an integer ≥ 0');
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      let from = 0;
      let logStart = 0;
      const end = await streamDaemon(connect, 'session.logs', { target: params.id!, since: since === null ? undefined : Number(since) }, (data, conn) => {
        const frame = data as OutputFrame;
        if (frame.k === 'start') ((from = frame.from), (logStart = frame.logStart));
        if (frame.k !== 'out' || truncated) return;
        const bytes = outputBytes(frame);
        if (size + bytes.length > MAX_LOGS_BYTES) {
          truncated = true;
          conn.close();
          return;
        }
        chunks.push(bytes);
        size += bytes.length;
      }).catch((error) => {
        if (truncated) return undefined;
        throw error;
      });
      sendJson(res, 200, {
        session: params.id,
        from,
        logStart,
        offset: from + size,
        truncated,
        text: Buffer.concat(chunks).toString('utf8'),
        ...(end ? { status: end.status, exitCode: end.exitCode, signal: end.signal } : {}),
      });
    },
  },
  {
    method: 'GET',
    path: '/api/session/:id/messages',
    summary: "A structured agent session's conversation (and its raw stream-json messages); tail= the last N messages",
    handler: async ({ res, params, query }, { connect }) => {
      const tail = query.get('tail');
      if (tail !== null && !/^\d+$/.test(tail)) throw new HttpError(400, 'E_USAGE', 'tail must be a number of messages: an integer ≥ 0');
      const result = await callDaemon(connect, 'session.messages', { target: params.id!, tail: tail === null ? undefined : Number(tail) });
      sendJson(res, 200, { session: result.session, conversation: conversationOf(result.messages), messages: result.messages });
    },
  },
  {
    method: 'GET',
    path: '/api/events',
    summary: 'Server-sent events of every session (id: the seq; Last-Event-ID resumes)',
    handler: (ctx, deps) => serveEvents(ctx, deps, undefined),
  },
  {
    method: 'GET',
    path: '/api/session/:id/events',
    summary: 'Server-sent events of one session (id: the seq; Last-Event-ID resumes)',
    handler: (ctx, deps) => serveEvents(ctx, deps, ctx.params.id),
  },
  {
    method: 'GET',
    path: '/api/approvals',
    summary: 'Pending approval requests of every session (?session= for one)',
    handler: async ({ res, query }, { connect }) => {
      const session = query.get('session') ?? undefined;
      if (session !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(session)) throw new HttpError(400, 'E_USAGE', 'malformed session in the query');
      sendJson(res, 200, await listApprovals(connect, session));
    },
  },
  {
    method: 'POST',
    path: '/api/session/:id/approvals/:req',
    summary: 'Answer a pending approval request: {approved, input?, message?}',
    handler: async ({ req, res, params }, { connect }) => {
      const body = await readJsonBody(req);
      const approved = field(body, 'approved', 'boolean');
      sendJson(res, 200, await answerApproval(connect, params.id!, params.req!, { approved, input: body.input, message: optional(body, 'message', 'string') }));
    },
  },
];
