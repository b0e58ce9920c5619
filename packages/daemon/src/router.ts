import { describeParamIssues, helpHintFor, type ParamIssue } from './param-errors.js';
import { CcxError, type ErrorPayload } from '@ccx/shared';
import type { FrameOf, ResultOf, StreamMethod, UnaryMethod } from '@ccx/shared';
import { MethodParams, type MethodName, type ParamsOf } from '@ccx/shared/schemas';
import type { Disposable } from './disposable.js';
import type { Session } from './session/session.js';
import type { Connection } from './transport/connection.js';

export interface RequestContext {
  conn: Connection;
  requestId: number;
}

/**
 * The daemon side of an open stream (attach, logs -f, events -f, wait).
 * Typed by the method's frames and end result (`FrameOf`/`ResultOf`); code
 * that serves several streams takes the untyped `StreamSink`.
 */
export interface StreamSink<F = unknown, E = unknown> {
  /** Sends one frame; false means: await `drained()` before sending more. */
  send(data: F): boolean;
  /** Resolves when the socket has room again, or the stream or its connection closed. */
  drained(): Promise<void>;
  end(result: E): void;
  fail(error: CcxError): void;
  /** Runs when the client closes the stream or disconnects. */
  onClose(handler: () => void): Disposable;
  onInput(handler: (data: Buffer) => void): Disposable;
  onResize(handler: (cols: number, rows: number) => void): Disposable;
  readonly closed: boolean;
}

/**
 * What the router resolves a method's `params.target` to before its handler
 * runs, as tmux's command table declares `cmd_entry.target`: any session
 * (by id, id prefix or name), or one that is running. Resolution errors
 * (unknown, ambiguous, not running) are the same for every method.
 */
export type TargetKind = 'session' | 'running';
export interface TargetDecl {
  kind: TargetKind;
  /** Hint of the E_NOT_RUNNING error; default: where the output is kept. */
  notRunningHint?: string;
}
/** Resolves a declared target, or throws the CcxError the client gets (handlers/targets.ts). */
export type TargetResolver = (target: string, decl: TargetDecl) => Session;

/** Methods whose params name one session: only they can declare a target. */
export type TargetedMethod = { [M in MethodName]: ParamsOf<M> extends { target: string } ? M : never }[MethodName];

/** A targeted handler's context: the session its `params.target` named. */
export interface SessionContext extends RequestContext {
  session: Session;
}

/** A unary handler's return is checked against the method's declared result (packages/shared/src/contract.ts). */
export type UnaryHandler<M extends UnaryMethod, C extends RequestContext = RequestContext> = (params: ParamsOf<M>, ctx: C) => ResultOf<M> | Promise<ResultOf<M>>;
export type StreamHandler<M extends StreamMethod, C extends RequestContext = RequestContext> = (
  params: ParamsOf<M>,
  ctx: C,
  sink: StreamSink<FrameOf<M>, ResultOf<M>>,
) => void | Promise<void>;

export type UnarySpec<M extends UnaryMethod> =
  | { kind: 'unary'; target?: undefined; handle: UnaryHandler<M> }
  | { kind: 'unary'; target: TargetDecl; handle: UnaryHandler<M, SessionContext> };
export type StreamSpec<M extends StreamMethod> =
  | { kind: 'stream'; target?: undefined; handle: StreamHandler<M> }
  | { kind: 'stream'; target: TargetDecl; handle: StreamHandler<M, SessionContext> };
export type HandlerSpec<M extends MethodName> = M extends UnaryMethod ? UnarySpec<M> : M extends StreamMethod ? StreamSpec<M> : never;

/**
 * One entry per method, grouped by area in `handlers/*`; dispatch is a
 * lookup, never an if-chain. The kind of each entry is the contract's.
 */
export type HandlerTable = { [M in UnaryMethod]?: UnarySpec<M> } & { [M in StreamMethod]?: StreamSpec<M> };

export function unary<M extends UnaryMethod>(handle: UnaryHandler<M>): UnarySpec<M> {
  return { kind: 'unary', handle };
}

export function stream<M extends StreamMethod>(handle: StreamHandler<M>): StreamSpec<M> {
  return { kind: 'stream', handle };
}

function declared(target: TargetKind | TargetDecl): TargetDecl {
  return typeof target === 'string' ? { kind: target } : target;
}

/** A unary method on the session `params.target` names; the handler gets it as `ctx.session`. */
export function unaryOn<M extends UnaryMethod & TargetedMethod>(target: TargetKind | TargetDecl, handle: UnaryHandler<M, SessionContext>): UnarySpec<M> {
  return { kind: 'unary', target: declared(target), handle };
}

/** A stream on the session `params.target` names; the handler gets it as `ctx.session`. */
export function streamOn<M extends StreamMethod & TargetedMethod>(target: TargetKind | TargetDecl, handle: StreamHandler<M, SessionContext>): StreamSpec<M> {
  return { kind: 'stream', target: declared(target), handle };
}

/** What the dispatcher calls: a spec with its method's types erased (params were validated against the method's schema). */
export type AnySpec =
  | { kind: 'unary'; target?: TargetDecl; handle: (params: never, ctx: never) => unknown }
  | { kind: 'stream'; target?: TargetDecl; handle: (params: never, ctx: never, sink: StreamSink) => void | Promise<void> };

/** The context a handler runs with: its declared target resolved (throws the resolution's error). */
export function contextFor(spec: AnySpec, params: unknown, base: RequestContext, targets: TargetResolver): RequestContext | SessionContext {
  if (!spec.target) return base;
  return { ...base, session: targets((params as { target: string }).target, spec.target) };
}

export type Resolved =
  | { ok: true; method: MethodName; spec: AnySpec; params: unknown }
  | { ok: false; error: ErrorPayload };

/** Looks up the method and validates its params against the method's schema. */
export function resolveRequest(table: HandlerTable, method: string, params: unknown): Resolved {
  const spec = Object.hasOwn(table, method) ? (table[method as MethodName] as AnySpec | undefined) : undefined;
  const schema = Object.hasOwn(MethodParams, method) ? MethodParams[method as MethodName] : undefined;
  if (!spec || !schema) {
    return { ok: false, error: { code: 'E_PROTOCOL', message: `unknown method: ${String(method).slice(0, 64)}`, hint: 'this ccx and the daemon may differ: run `ccx daemon restart`' } };
  }
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) {
    return { ok: false, error: { code: 'E_USAGE', message: describeParamIssues(parsed.error.issues as ParamIssue[]), hint: helpHintFor(method) } };
  }
  return { ok: true, method: method as MethodName, spec, params: parsed.data };
}

export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof CcxError) return error.toPayload();
  return { code: 'E_INTERNAL', message: error instanceof Error ? error.message : String(error), hint: 'see the daemon log: ccx daemon logs' };
}
