/**
 * Runtime schemas of every message and method, with types inferred from them.
 * Only the daemon (and tests) import this module at run time: the CLI uses
 * `import type`, so zod never weighs on its start-up.
 */
import { z } from 'zod';
import { ATTACH_ALLOW_KINDS } from './attach-allow.js';
import { ERROR_CODES } from './errors.js';
import { MAX_NAME_LENGTH, MAX_STREAMED_TEXT_BYTES } from './limits.js';
import { EVENT_TYPES, type EventType } from './events.js';
import { HOOK_LEVELS, type HookStatus } from './webhooks.js';
import { WINDOW_SIZE_POLICIES, type WindowSizePolicy } from './window-size.js';
import { AGENT_KINDS, AGENT_PERMISSION_MODES } from './agents.js';

const id = z.number().int().nonnegative();
const target = z.string().min(1).max(256);
const dimension = z.number().int().min(1).max(1000);
const untilSchema = z.union([z.string().min(1).max(4096), z.array(z.string().min(1).max(4096)).min(1).max(64)]);

export const SessionNameSchema = z
  .string()
  .max(MAX_NAME_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

// ---- connection-level messages -------------------------------------------

export const HelloSchema = z.object({ t: z.literal('hello'), protocol: z.number().int(), version: z.string().max(64) });
export const RequestSchema = z.object({ t: z.literal('req'), id, method: z.string().max(64), params: z.unknown() });
export const StreamInputSchema = z.object({ t: z.literal('input'), id, data: z.string().max(512 * 1024) });
export const StreamResizeSchema = z.object({ t: z.literal('resize'), id, cols: dimension, rows: dimension });
export const StreamCloseSchema = z.object({ t: z.literal('close'), id });

export const ClientMessageSchema = z.discriminatedUnion('t', [
  HelloSchema,
  RequestSchema,
  StreamInputSchema,
  StreamResizeSchema,
  StreamCloseSchema,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type Hello = z.infer<typeof HelloSchema>;
export type Request = z.infer<typeof RequestSchema>;

export const ErrorPayloadSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  hint: z.string().optional(),
  details: z.unknown().optional(),
});

export const WelcomeSchema = z.object({ t: z.literal('welcome'), protocol: z.number(), version: z.string(), pid: z.number() });
export const ResponseSchema = z.union([
  z.object({ t: z.literal('res'), id, ok: z.literal(true), result: z.unknown() }),
  z.object({ t: z.literal('res'), id, ok: z.literal(false), error: ErrorPayloadSchema }),
]);
/** One item of a stream (attach, logs -f, events -f, wait). */
export const StreamFrameSchema = z.object({ t: z.literal('frame'), id, data: z.unknown() });
/** Ends a stream: its final result or the error that ended it. */
export const StreamEndSchema = z.object({
  t: z.literal('end'),
  id,
  result: z.unknown().optional(),
  error: ErrorPayloadSchema.optional(),
});
/** A reply that is not tied to a request, sent before the daemon closes a connection. */
export const FatalSchema = z.object({ t: z.literal('fatal'), error: ErrorPayloadSchema });

export type Welcome = z.infer<typeof WelcomeSchema>;
export type Response = z.infer<typeof ResponseSchema>;
export type StreamFrame = z.infer<typeof StreamFrameSchema>;
export type StreamEnd = z.infer<typeof StreamEndSchema>;
export type Fatal = z.infer<typeof FatalSchema>;
export type ServerMessage = Welcome | Response | StreamFrame | StreamEnd | Fatal;

// ---- sessions --------------------------------------------------------------

export const SessionStatusSchema = z.enum(['running', 'exited', 'cancelled', 'failed', 'lost']);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/**
 * What `ccx list --json` prints for each session. Stable: fields may be
 * added, never renamed or removed. Times are ISO-8601 strings.
 */
export const SessionInfoSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  status: SessionStatusSchema,
  activity: z.enum(['busy', 'idle', 'waiting']).nullable(),
  /** While `waiting`: what the program waits for (Claude Code's own state: a permission dialog, or a question). */
  waitingFor: z.enum(['permission', 'input']).nullable().optional(),
  pid: z.number().nullable(),
  command: z.array(z.string()),
  cwd: z.string(),
  cols: z.number(),
  rows: z.number(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  lastActivityAt: z.string().nullable(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  error: z.string().nullable(),
  attachedClients: z.number(),
  outputBytes: z.number(),
  preset: z.string().nullable(),
  /** How the window size follows attached clients (`start --window-size`, `resize --window-size`). */
  windowSize: z.enum(WINDOW_SIZE_POLICIES),
  /** An ended session's processes that outlived its program (e.g. a `setsid -f` child); [] while running. */
  leftoverPids: z.array(z.number()),
  /** A structured agent session (`start --agent claude`): Claude's own session id, cost so far, pending approvals. */
  agent: z.object({ kind: z.enum(AGENT_KINDS), claudeSessionId: z.string().nullable(), costUsd: z.number(), turns: z.number(), pendingApprovals: z.number() }).optional(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

// ---- method parameters -------------------------------------------------------

const envName = z.string().regex(/^[^=\0]+$/);

/** A webhook subscriber as `hooks add` sends it and the config file's `webhooks` array holds it. */
export const HookSpecSchema = z
  .object({
    url: z.string().max(4096).regex(/^https?:\/\/[^\s]+$/i, 'an http:// or https:// URL'),
    level: z.enum(HOOK_LEVELS).optional(),
    events: z.array(z.enum(EVENT_TYPES)).max(64).optional(),
    sessions: z.array(target).max(256).optional(),
    headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'an HTTP header name'), z.string().max(8192).regex(/^[^\r\n\0]*$/, 'no line breaks')).optional(),
    secret: z.string().min(1).max(1024).optional(),
    label: z.string().min(1).max(64).optional(),
  })
  .strict();
export type HookSpec = z.infer<typeof HookSpecSchema>;
/** A stored hook: the spec plus the id and creation time the daemon gives it (hand-written entries may omit them). */
export const HookConfigSchema = HookSpecSchema.extend({ id: z.string().regex(/^[a-z2-7]{8}$/).optional(), createdAt: z.string().max(64).optional() }).strict();


/** What a send is, in `session.send` and in a `session.turn`. */
const sendFields = {
  target,
  text: z.string().max(512 * 1024).optional(),
  /** false: type the text as keystrokes, never inside bracketed-paste markers (tmux send-keys -l). */
  paste: z.boolean().optional(),
  enter: z.boolean().optional(),
  keys: z.array(z.string().max(256)).max(256).optional(),
  enterDelayMs: z.number().int().min(0).max(10_000).optional(),
  preset: z.string().max(64).optional(),
  /** false (`send --no-record`): no `input-sent` event for this send. */
  record: z.boolean().optional(),
  /** Fail with E_BUSY instead of waiting behind another caller's turn. */
  noQueue: z.boolean().optional(),
};

/** What `session.wait` waits for; `session.turn`'s `wait` takes the conditions of it. */
const waitConditions = z.object({
      target,
      /**
       * Output-log offset to wait from; 'now': the end of the output when the
       * request arrives; absent: the session's input mark (where the last send
       * wrote, or past the answer of the last `send --wait`), else now.
       */
      from: z.union([z.number().int().nonnegative(), z.literal('now')]).optional(),
      /** One regex or several (the first to match wins; `match.index` says which). */
      until: untilSchema.optional(),
      /** Exact strings to look for, after the `until` patterns in `match.index` order. */
      untilText: z.array(z.string().min(1).max(4096)).max(64).optional(),
      /** Match `until` against the rendered screen instead of the output text. */
      screen: z.boolean().optional(),
      idleMs: z.number().int().min(0).max(86_400_000).optional(),
      exit: z.boolean().optional(),
      /** Wait for the preset's ready pattern (start --wait-ready). */
      ready: z.boolean().optional(),
      /** Any length (the daemon chains timers past Node's ~24.8-day limit). */
      timeoutMs: z.number().int().min(0).optional(),
      preset: z.string().max(64).optional(),
      /** The text just sent: removed from the captured output where echoed exactly. */
      echo: z.string().max(512 * 1024).optional(),
      /** What to return: the new output as text, the rendered screen, nothing, or what the preset says. */
      capture: z.enum(['output', 'screen', 'none', 'auto']).optional(),
});

export const MethodParams = {
  'daemon.status': z.object({}).strict(),
  'daemon.stop': z.object({}).strict(),
  'session.start': z
    .object({
      command: z.array(z.string().max(64 * 1024)).min(1).max(1024),
      name: SessionNameSchema.optional(),
      cwd: z.string().max(4096).optional(),
      env: z.record(envName, z.string().max(64 * 1024)).optional(),
      /** `env` is added to the daemon's environment instead of replacing it (a client on another machine). */
      inheritDaemonEnv: z.boolean().optional(),
      cols: dimension.optional(),
      rows: dimension.optional(),
      preset: z.string().max(64).optional(),
      reuse: z.boolean().optional(),
      windowSize: z.enum(WINDOW_SIZE_POLICIES).optional(),
      /** The caller's umask, applied to the program (absent: the daemon's). */
      umask: z.number().int().min(0).max(0o777).optional(),
      /** Run it as a structured agent (Claude Code's stream-json protocol) instead of in a terminal. */
      agent: z
        .object({
          kind: z.enum(AGENT_KINDS),
          model: z.string().min(1).max(256).optional(),
          permissionMode: z.enum(AGENT_PERMISSION_MODES).optional(),
          /** Unanswered approval requests are denied (and recorded as expired) after this long. */
          approvalTimeoutMs: z.number().int().min(1).max(2_147_483_647).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  'session.list': z.object({ all: z.boolean().optional() }).strict(),
  'session.get': z.object({ target }).strict(),
  'session.send': z.object(sendFields).strict(),
  /**
   * A turn (every CLI `send`): waits for the session's turn queue, sends,
   * and with `wait` waits for the answer before the next turn may begin.
   * Text larger than a frame comes as `input` frames (`textBytes` in all),
   * each asked for with a `{k:'more'}` frame.
   */
  'session.turn': z
    .object({
      ...sendFields,
      /** Total UTF-8 bytes of text that follows as input frames (instead of `text`). */
      textBytes: z.number().int().min(1).max(MAX_STREAMED_TEXT_BYTES).optional(),
      /** Then wait for the answer: the conditions of `session.wait` (from = where the text was written). */
      wait: waitConditions.pick({ until: true, untilText: true, screen: true, idleMs: true, exit: true, timeoutMs: true, capture: true }).strict().optional(),
    })
    .strict()
    .refine((p) => !(p.text !== undefined && p.textBytes !== undefined), 'give text or textBytes, not both'),
  'session.cancel': z
    .object({ target, graceMs: z.number().int().min(0).max(600_000).optional(), force: z.boolean().optional() })
    .strict(),
  'session.rm': z.object({ targets: z.array(target).min(1).max(1000), force: z.boolean().optional() }).strict(),
  'session.prune': z.object({ olderThanMs: z.number().int().nonnegative().optional() }).strict(),
  'session.wait': waitConditions.strict(),
  'session.interrupt': z.object({ target, key: z.string().max(256).optional(), preset: z.string().max(64).optional() }).strict(),
  'session.approve': z
    .object({
      target,
      approved: z.boolean(),
      /** With a denial: sent as the next prompt, what to do instead. */
      message: z.string().min(1).max(64 * 1024).optional(),
      preset: z.string().max(64).optional(),
      /** A structured agent session: which pending request (optional while only one is pending). */
      requestId: z.string().min(1).max(256).optional(),
      /** A structured agent session: the tool input to run instead of the one asked for. */
      input: z.record(z.string(), z.unknown()).optional(),
      /** Who answers, as the other answerers are told (e.g. `ccx approve (pid 123)`, `web`). */
      by: z.string().min(1).max(128).optional(),
    })
    .strict(),
  /** Pending approval requests of structured agent sessions (all, or one session's). */
  'approvals.list': z.object({ target: target.optional() }).strict(),
  /** Starts a structured agent session again where its conversation left off (`claude --resume`). */
  'session.resume': z
    .object({ target, env: z.record(envName, z.string().max(64 * 1024)).optional(), inheritDaemonEnv: z.boolean().optional(), umask: z.number().int().min(0).max(0o777).optional() })
    .strict(),
  /** A structured agent session's raw stream-json messages (`logs --json`), the last `tail` of them. */
  'session.messages': z.object({ target, tail: z.number().int().nonnegative().optional() }).strict(),
  'presets.list': z.object({}).strict(),
  'events.stream': z
    .object({
      target: target.optional(),
      types: z.array(z.enum(EVENT_TYPES)).max(64).optional(),
      since: z.number().int().nonnegative().optional(),
      follow: z.boolean().optional(),
    })
    .strict(),
  'hooks.add': HookSpecSchema,
  'hooks.list': z.object({}).strict(),
  'hooks.rm': z.object({ targets: z.array(target).min(1).max(256) }).strict(),
  'hooks.test': z.object({ target }).strict(),
  'hooks.status': z.object({}).strict(),
  'session.screen': z
    .object({ target, ansi: z.boolean().optional(), scrollback: z.number().int().min(0).max(100_000).optional() })
    .strict(),
  'session.logs': z
    .object({
      target,
      since: z.number().int().nonnegative().optional(),
      tail: z.number().int().nonnegative().optional(),
      follow: z.boolean().optional(),
      /** Take `input` messages on this stream and type them into the session (`run`'s stdin). */
      input: z.boolean().optional(),
    })
    .strict(),
  'session.attach': z
    .object({
      target,
      readOnly: z.boolean().optional(),
      cols: dimension.optional(),
      rows: dimension.optional(),
      /** Detach every other client of the session first (`attach -d`). */
      detachOthers: z.boolean().optional(),
      /** What program output may do to this terminal; absent: the config file's `attach.allow`, else nothing. */
      allow: z.array(z.enum(ATTACH_ALLOW_KINDS)).max(ATTACH_ALLOW_KINDS.length).optional(),
    })
    .strict(),
  /** Sets the window size now and/or the session's window-size policy; cols and rows go together. */
  'session.resize': z
    .object({ target, cols: dimension.optional(), rows: dimension.optional(), windowSize: z.enum(WINDOW_SIZE_POLICIES).optional() })
    .strict(),
  'session.clients': z.object({ target }).strict(),
  /** Ends attach streams: one client by number, or all; neither: the only one attached. */
  'session.detach': z.object({ target, client: z.number().int().positive().optional(), all: z.boolean().optional() }).strict(),
} as const;

export type MethodName = keyof typeof MethodParams;
export type ParamsOf<M extends MethodName> = z.infer<(typeof MethodParams)[M]>;

// ---- method results ------------------------------------------------------------

export interface DaemonStatus {
  pid: number;
  version: string;
  protocol: number;
  startedAt: string;
  uptimeMs: number;
  socket: string;
  stateDir: string;
  sessions: { total: number; running: number };
  clients: number;
  events: { lastSeq: number; counts: Record<string, number>; subscribers: number };
  rssBytes: number;
  /** What leak checks compare against a baseline: every count returns to it once clients are gone. */
  resources?: DaemonResources;
  /** Per webhook subscriber: delivered, failed, pending, last error. */
  webhooks?: HookStatus[];
  /**
   * How a session's processes are found (docs/architecture.md): a cgroup per
   * session, or only the /proc fallbacks (terminal, env marker, process session, descent).
   */
  sessionProcesses?: 'cgroup-v1-pids' | 'cgroup-v2' | 'proc';
}

export interface DaemonResources {
  /** Open file descriptors (/proc/self/fd); null where /proc is absent. */
  fds: number | null;
  connections: number;
  /** Open streams (attach, logs -f, events -f, wait) over all connections. */
  streams: number;
  outputListeners: number;
  exitWaiters: number;
  attachedClients: number;
  /**
   * Bytes written to client sockets that the clients have not read yet, held
   * in the daemon's memory (not the kernel's buffers). Each connection's writers
   * pause at 1 MiB, so a stopped reader keeps it bounded.
   */
  queuedWriteBytes: number;
  /** Times the screen worker died and was replaced (its screens restarted blank). */
  screenWorkerRestarts: number;
  heapUsedBytes: number;
}

export interface SendResult {
  session: string;
  /** All bytes of this send: `written` + `queued`. */
  bytes: number;
  /** Bytes the kernel accepted (written to the PTY) by the time of the reply. */
  written: number;
  /** Bytes still in the session's input queue, written as the program reads; lost if the daemon dies first. */
  queued: number;
  bracketedPaste: boolean;
  writtenAt: string;
  /** Output-log offset at the moment the text was written. */
  offset: number;
  /** `interrupt` sent nothing: the program said it is idle (Claude Code would open its Rewind picker). */
  skipped?: 'idle';
  /** To an agent TUI: how many times the key was pressed again before it was seen taken (Enter of a prompt, Escape of an interrupt). */
  resubmitted?: number;
}

/** `daemon.stop`: the daemon stops once this reply is sent. */
export interface StopResult {
  stopping: true;
}

/** `hooks.rm`: the hooks removed and how many of their pending deliveries were discarded. */
export interface HooksRemoveResult {
  removed: string[];
  discarded: number;
}

/** End result of the `events.stream` method. */
export interface EventsStreamEnd {
  /** Resume point: every event up to this seq has been sent or did not match. */
  lastSeq: number;
}

/** Frames of the `session.turn` stream before its end. */
export type TurnFrame =
  /** The turn must wait: `ahead` callers hold or wait for the session before this one. */
  | { k: 'queued'; ahead: number }
  /** Send the next input frame of the text (`textBytes`). */
  | { k: 'more' }
  /** The text was sent (the wait, if any, starts now). */
  | { k: 'sent'; send: SendResult };

/** End result of `session.turn`. */
export interface TurnResult {
  send: SendResult;
  wait?: WaitResult;
}

/** `session.approve`: the permission dialog was answered (and closed). */
export interface ApproveResult {
  session: string;
  approved: boolean;
  /** How many times the key was pressed before the dialog closed. */
  presses: number;
  /** A denial's message was sent as the next prompt. */
  messageSent: boolean;
  /** A structured agent session: the request answered. */
  requestId?: string;
}

/** A tool use a structured agent session asks permission for (`ccx approvals --json`). */
export interface ApprovalInfo {
  sessionId: string;
  requestId: string;
  tool: string;
  input: Record<string, unknown>;
  suggestions: unknown[];
  requestedAt: string;
}

/** `approvals.list`. */
/** `session.messages`: a structured agent session's raw stream-json messages (logs --json). */
export interface MessagesResult {
  session: string;
  messages: unknown[];
}

export interface ApprovalsResult {
  approvals: ApprovalInfo[];
}

export interface CancelResult {
  session: SessionInfo;
  steps: string[];
  timedOut: boolean;
  /** The session had already ended: nothing was signalled (steps is empty). */
  alreadyEnded?: boolean;
  /** Set when the session had already ended: the processes its program left running that this cancel ended. */
  endedLeftovers?: number[];
}

/** `session.start`: the session, and what happened to its name. */
export interface StartResult extends SessionInfo {
  /** `--reuse` returned a running session instead of starting one. */
  reused?: boolean;
  /** The id of the ended session that held this name until now (it keeps its id). */
  nameTakenFrom?: string;
}

export interface RemoveResult {
  removed: string[];
}

/** `session.screen`: what the session's headless terminal shows right now. */
export interface ScreenResult {
  session: string;
  cols: number;
  rows: number;
  /** 0-based, relative to the top of the visible screen. */
  cursor: { x: number; y: number };
  alternateScreen: boolean;
  title: string;
  /** Output-log offset up to which the screen reflects the output. */
  offset: number;
  /** Plain text: trailing blanks trimmed, wrapped lines joined. */
  text: string;
  /** With colours and attributes (serialize addon), when asked for. */
  ansi?: string;
}

/**
 * Frames of the `session.logs` and `session.attach` streams. Output bytes
 * (`out`, `screen`) travel raw in binary frames (framing.ts), at most
 * OUTPUT_FRAME_BYTES (`out`) or MAX_OUTPUT_CHUNK_BYTES (`screen`) per frame.
 */
export type OutputFrame =
  /** First frame: where reading starts, and the oldest offset still kept on disk. */
  | { k: 'start'; session: SessionInfo; from: number; logStart: number }
  | { k: 'out'; offset: number; data: Buffer }
  /** Bytes in [from, to) were rotated away before this follower read them. */
  | { k: 'gap'; from: number; to: number }
  /** attach only: the serialized screen to draw before live output. */
  | { k: 'screen'; data: Buffer };

/** End result of `session.logs` / `session.attach`: where reading stopped and how the session stands. */
export interface OutputStreamEnd {
  offset: number;
  /** attach only: another command detached this client (`ccx detach`, `attach -d`); the session keeps running. */
  detached?: boolean;
  status: SessionStatus;
  exitCode: number | null;
  signal: string | null;
}

/** One attached terminal, as `ccx clients --json` prints it. Fields may be added, never renamed. */
export interface ClientInfo {
  /** Numbers count up from 1 per session and are not reused while it runs: `ccx detach ID --client N`. */
  client: number;
  /** The client's terminal size; null when it gave none. */
  cols: number | null;
  rows: number | null;
  readOnly: boolean;
  attachedAt: string;
  /** Last keystroke from this client; null if it never typed. */
  lastInputAt: string | null;
  /** Seconds since its last keystroke (since it attached if it never typed). */
  idleSeconds: number;
  /**
   * Output-log offset up to which output has been handed to the client's
   * connection. Far behind the session's `outputBytes`: the client (or what
   * it reads through, such as `ccx web`) is not reading, and the daemon holds
   * the rest back in the log instead of in memory.
   */
  sentOffset: number;
}

/** `session.clients` (`ccx clients --json`): who is attached, and how the window size follows them. */
export interface ClientsResult {
  session: string;
  windowSize: WindowSizePolicy;
  cols: number;
  rows: number;
  clients: ClientInfo[];
}

/** `session.detach`: the numbers of the clients that were detached. */
export interface DetachResult {
  session: string;
  detached: number[];
}

/** Why `session.wait` ended; every reason but `timeout` and `ended` means the condition was met. */
/** `turn-end` / `waiting`: the program's own state (Claude Code's) said its turn ended, or that it waits for a permission or an answer. */
export type WaitReason = 'match' | 'ready' | 'prompt' | 'idle' | 'turn-end' | 'waiting' | 'exit' | 'timeout' | 'ended';

/** End result of the `session.wait` stream (`ccx wait --json`). Fields may be added, never renamed. */
export interface WaitResult {
  session: string;
  reason: WaitReason;
  met: boolean;
  /** Offset the wait started from, and how far into the output it had read when it ended. */
  from: number;
  offset: number;
  elapsedMs: number;
  /**
   * What `until`/`untilText` (or the ready pattern) matched: the whole match,
   * its groups, which pattern (`index` into the `until` patterns, then the
   * `untilText` strings) and that pattern's source.
   */
  match: { text: string; groups: Array<string | null>; index: number; pattern: string } | null;
  status: SessionStatus;
  exitCode: number | null;
  signal: string | null;
  /** The new output as plain text (echo and trailing prompt removed), when captured. */
  output?: string;
  /** True when `output` lost its beginning: the answer was longer than a wait keeps (256 Ki characters). */
  truncated?: boolean;
  /** The rendered screen as text, when captured. */
  screen?: string;
  /** A structured agent session's turn (`send --wait --json`): its result message and the messages of the turn. */
  turn?: { result: string; isError: boolean; subtype: string; durationMs: number; costUsd: number; usage: unknown; messages: unknown[] };
}

// ---- events ----------------------------------------------------------------------

/**
 * What each event type carries besides `seq`, `type` and `time`: the public
 * contract of `ccx events --json` and of webhook bodies. Fields may be added,
 * never renamed or removed. docs/events.md is generated from these
 * descriptions (`node scripts/gen-events-doc.mjs`); a test fails when it
 * differs. Objects are not strict: a reader must ignore fields it does not know.
 */
const sessionId = z.string().describe('the session it concerns');
const signalName = z.string().describe('a signal name: SIGINT, SIGTERM, SIGKILL, …');

export const EventDataSchemas = {
  'daemon-started': z
    .object({ pid: z.number().int().describe("the daemon's pid"), version: z.string().describe("the daemon's ccx version") })
    .describe('The daemon started serving.'),
  'daemon-stopping': z
    .object({ reason: z.string().describe('why: `request` (ccx daemon stop), `SIGTERM`, `SIGINT`, `home-removed`') })
    .describe('The daemon is stopping; its sessions end with it.'),
  'session-created': z
    .object({
      sessionId,
      name: z.string().nullable().describe('its name, or null'),
      command: z.array(z.string()).describe('the program and its arguments'),
      cwd: z.string().describe('its working directory'),
    })
    .describe('A session was created (its program is started next).'),
  'session-started': z
    .object({ sessionId, pid: z.number().int().describe("the program's pid"), command: z.array(z.string()).describe('the program and its arguments') })
    .describe('The program of a session is running.'),
  'session-status': z
    .object({
      sessionId,
      status: SessionStatusSchema.describe('the session status'),
      activity: z.enum(['busy', 'idle', 'waiting']).optional().describe('while running: busy (output flows), idle (a quiet spell), waiting (the program says it waits for the user)'),
      waitingFor: z.enum(['permission', 'input']).optional().describe('with activity waiting: what the program waits for'),
      error: z.string().nullable().optional().describe('with status lost: why'),
    })
    .describe('A session changed status, or (with `activity`) a running one became busy, idle or waiting.'),
  'input-sent': z
    .object({
      sessionId,
      bytes: z.number().int().describe('bytes written: text, paste markers and keys'),
      text: z.string().optional().describe('the text, only with config events.inputText "preview" (first 200 characters) or "full"'),
      keys: z.array(z.string()).optional().describe('the --key names, only with config events.inputText "preview" or "full"'),
      enter: z.boolean().optional().describe('Enter followed the text'),
      bracketedPaste: z.boolean().optional().describe('the text was sent inside bracketed-paste markers'),
      source: z.string().describe('what sent it: send, attach, interrupt, approve, deny, resubmit'),
    })
    .describe('Input was written to a session (published just before its first byte; `send --no-record` publishes none).'),
  'cancel-initiated': z
    .object({
      sessionId,
      signal: signalName.describe('the first signal: SIGINT, or SIGKILL with force'),
      graceMs: z.number().int().describe('ms before escalating to the next signal'),
      force: z.boolean().describe('ccx kill or cancel --force'),
    })
    .describe('A cancel began.'),
  'cancel-escalated': z.object({ sessionId, signal: signalName.describe('the signal sent now: SIGTERM or SIGKILL') }).describe('A cancel escalated: the program outlived the grace period.'),
  'process-exit': z
    .object({
      sessionId,
      code: z.number().int().nullable().describe('the exit code, or null when a signal ended it'),
      signal: z.string().nullable().describe('the signal that ended it, or null'),
    })
    .describe("A session's program exited."),
  'session-error': z
    .object({
      sessionId,
      code: z.enum(ERROR_CODES).describe('the error code'),
      message: z.string().describe('what went wrong'),
      droppedBytes: z.number().int().optional().describe('when the output log is writable again: bytes of output dropped while it was not'),
    })
    .describe('Something went wrong with a session: its program could not start, or its output log or record could not be written.'),
  'session-removed': z.object({ sessionId }).describe('A session was removed (ccx rm, prune).'),
  'client-attached': z
    .object({
      sessionId,
      client: z.string().describe('the attach stream'),
      readOnly: z.boolean().describe('attach --read-only'),
      cols: z.number().int().optional().describe("the client's terminal width"),
      rows: z.number().int().optional().describe("the client's terminal height"),
    })
    .describe('A terminal attached.'),
  'client-detached': z.object({ sessionId, client: z.string().describe('the attach stream') }).describe('A terminal detached.'),
  'session-resized': z
    .object({ sessionId, cols: z.number().int().describe('columns'), rows: z.number().int().describe('rows') })
    .describe("The program's terminal size changed (an attached client's size became the active one, or ccx resize)."),
  'session-output': z
    .object({
      sessionId,
      offset: z.number().int().describe('output-log offset of the first byte'),
      bytes: z.number().int().describe('how many bytes'),
      text: z.string().optional().describe('webhooks at level stream only: the output as text'),
      skipped: z.number().int().optional().describe('webhooks at level stream only: bytes left out before this batch'),
    })
    .describe('Output was written to the log (live only: never in the events log; the bytes are in ccx logs).'),
  'webhook-dropped': z
    .object({
      hookId: z.string().describe('the hook whose outbox overflowed'),
      label: z.string().nullable().describe('its label, or null'),
      count: z.number().int().describe('deliveries dropped'),
      firstSeq: z.number().int().describe('seq of the first dropped event'),
      lastSeq: z.number().int().describe('seq of the last dropped event'),
      reason: z.string().describe('why: outbox full'),
    })
    .describe("A webhook subscriber's outbox overflowed and its oldest deliveries were dropped."),
  'agent-message': z
    .object({
      sessionId,
      kind: z.enum(['text', 'tool-use', 'tool-result']).describe('what Claude Code said: assistant text, a tool use, or a tool result'),
      text: z.string().optional().describe('text and tool-result: the text'),
      toolUseId: z.string().optional().describe('tool-use and tool-result: the id that pairs them'),
      tool: z.string().optional().describe('tool-use: the tool name (Bash, Edit, …)'),
      input: z.unknown().optional().describe("tool-use: the tool's input as Claude Code sent it"),
      isError: z.boolean().optional().describe('tool-result: the tool failed or was denied'),
    })
    .describe('A structured agent session (start --agent claude) produced a message.'),
  'approval-request': z
    .object({
      sessionId,
      requestId: z.string().describe('the request to answer: ccx approve ID REQ'),
      tool: z.string().describe('the tool Claude Code wants to use'),
      input: z.unknown().describe("the tool's input"),
      suggestions: z.array(z.unknown()).describe("Claude Code's permission suggestions, as it sent them"),
    })
    .describe('A structured agent session asks whether a tool may run (also reaches status-level webhooks).'),
  'approval-confirmed': z
    .object({
      sessionId,
      requestId: z.string().describe('the request answered'),
      approved: z.boolean().describe('allowed (true) or denied'),
      by: z.string().describe('who answered: the client that sent approve/deny'),
      message: z.string().optional().describe('deny --message: what Claude Code is told'),
    })
    .describe('An approval request was answered; the first answer wins.'),
  'approval-expired': z
    .object({ sessionId, requestId: z.string().describe('the request no one answered') })
    .describe('An approval request outlived --approval-timeout and was denied (also reaches status-level webhooks).'),
  'turn-completed': z
    .object({
      sessionId,
      durationMs: z.number().describe("the turn's duration as Claude Code measured it"),
      costUsd: z.number().describe("the turn's cost in USD (this turn only, not the running total)"),
      usage: z.unknown().describe("token usage as Claude Code reported it"),
      result: z.string().describe("the turn's final assistant text"),
    })
    .describe('A turn of a structured agent session ended.'),
} as const satisfies Record<EventType, z.ZodObject>;

/** What every event carries. */
export const EventEnvelopeSchema = z.object({
  seq: z.number().int().nonnegative().describe('global, unique and increasing across daemon restarts'),
  type: z.enum(EVENT_TYPES).describe('the event type: one of the headings below'),
  time: z.string().describe('ISO-8601'),
});

/** One event of any type, as `ccx events --json` prints it (discriminated by `type`). */
export const CcxEventSchema = z.discriminatedUnion(
  'type',
  // Strict: the daemon's own check (tests) catches a field published but not declared.
  EVENT_TYPES.map((type) => EventEnvelopeSchema.extend({ type: z.literal(type), ...EventDataSchemas[type].shape }).strict()) as unknown as [z.ZodObject<{ type: z.ZodLiteral<EventType> }>],
);

export type EventData<T extends EventType> = z.infer<(typeof EventDataSchemas)[T]>;

/** An event of one type. `sessionId` is on the envelope so that any event can be asked for it. */
export type EventOf<T extends EventType> = { seq: number; type: T; time: string; sessionId?: string } & EventData<T>;

/** Any event: a union discriminated by `type`, so `event.type === 'process-exit'` narrows to its fields. */
export type CcxEvent = { [T in EventType]: EventOf<T> }[EventType];

/** The JSON Schema of each event type's data, for docs/events.md (scripts/gen-events-doc.mjs). */
export function eventJsonSchemas(): Record<EventType, { description?: string; properties?: Record<string, unknown>; required?: string[] }> {
  return Object.fromEntries(EVENT_TYPES.map((type) => [type, z.toJSONSchema(EventDataSchemas[type])])) as never;
}

/** The JSON Schema of the envelope every event has. */
export function eventEnvelopeJsonSchema(): { properties?: Record<string, unknown>; required?: string[] } {
  return z.toJSONSchema(EventEnvelopeSchema) as never;
}
