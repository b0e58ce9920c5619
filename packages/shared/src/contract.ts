/**
 * The method contract: for every method, its kind, its result and (for a
 * stream) its frames, keyed by the method name once. Params come from the
 * zod schemas (`MethodParams` in schemas.ts); this module holds types only,
 * so the CLI can import it without loading zod. The daemon's handler table
 * (daemon/src/router.ts) and the CLI's `request`/`stream`
 * (cli/src/client/ipc-client.ts) are both checked against it: a handler that
 * returns the wrong result, or a caller that expects one, is a tsc error.
 * Model: VS Code's `IPtyService`; ccx's own `session/screen-protocol.ts`.
 */
import type { Preset } from './presets.js';
import type {
  ApprovalsResult,
  ApproveResult,
  CcxEvent,
  CancelResult,
  ClientsResult,
  DaemonStatus,
  DetachResult,
  EventsStreamEnd,
  HooksRemoveResult,
  MessagesResult,
  MethodName,
  OutputFrame,
  OutputStreamEnd,
  ParamsOf,
  RemoveResult,
  ScreenResult,
  SendResult,
  SessionInfo,
  StartResult,
  StopResult,
  TurnFrame,
  TurnResult,
  WaitResult,
} from './schemas.js';
import type { HookInfo, HookStatus, HookTestResult } from './webhooks.js';

/** A method answered by one `res` message. */
export interface Unary<R> {
  kind: 'unary';
  result: R;
}

/** A method answered by `frame` messages of type F, then one `end` carrying E. */
export interface Stream<F, E> {
  kind: 'stream';
  frame: F;
  result: E;
}

export interface MethodContract {
  'daemon.status': Unary<DaemonStatus>;
  'daemon.stop': Unary<StopResult>;
  'session.start': Unary<StartResult>;
  'session.list': Unary<SessionInfo[]>;
  'session.get': Unary<SessionInfo>;
  'session.send': Unary<SendResult>;
  'session.turn': Stream<TurnFrame, TurnResult>;
  'session.cancel': Unary<CancelResult>;
  'session.rm': Unary<RemoveResult>;
  'session.prune': Unary<RemoveResult>;
  /** No frames: the wait's outcome is its end result. */
  'session.wait': Stream<never, WaitResult>;
  'session.interrupt': Unary<SendResult>;
  'session.approve': Unary<ApproveResult>;
  'presets.list': Unary<Preset[]>;
  'events.stream': Stream<CcxEvent, EventsStreamEnd>;
  'hooks.add': Unary<HookInfo>;
  'hooks.list': Unary<HookInfo[]>;
  'hooks.rm': Unary<HooksRemoveResult>;
  'hooks.test': Unary<HookTestResult>;
  'hooks.status': Unary<HookStatus[]>;
  'session.screen': Unary<ScreenResult>;
  'session.logs': Stream<OutputFrame, OutputStreamEnd>;
  'session.attach': Stream<OutputFrame, OutputStreamEnd>;
  'session.resize': Unary<SessionInfo>;
  'session.clients': Unary<ClientsResult>;
  'session.detach': Unary<DetachResult>;
  'approvals.list': Unary<ApprovalsResult>;
  'session.resume': Unary<SessionInfo>;
  'session.messages': Unary<MessagesResult>;
}

/** Every method with params has a contract and every contract has params: else this line is a tsc error. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ContractCoversEveryMethod = Assert<Same<keyof MethodContract, MethodName>>;

export type MethodKind<M extends MethodName> = MethodContract[M]['kind'];
/** A unary method's result, or a stream's end result. */
export type ResultOf<M extends MethodName> = MethodContract[M]['result'];
/** The type of a stream's frames (never for a unary method). */
export type FrameOf<M extends MethodName> = MethodContract[M] extends Stream<infer F, unknown> ? F : never;

export type UnaryMethod = { [M in MethodName]: MethodContract[M] extends Unary<unknown> ? M : never }[MethodName];
export type StreamMethod = { [M in MethodName]: MethodContract[M] extends Stream<unknown, unknown> ? M : never }[MethodName];

export type { MethodName, ParamsOf };
