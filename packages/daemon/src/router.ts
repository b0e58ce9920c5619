import { describeParamIssues, helpHintFor, type ParamIssue } from './param-errors.js';
import { CcxError, type ErrorPayload } from '@ccx/shared';
import type { FrameOf, ResultOf, StreamMethod, UnaryMethod } from '@ccx/shared';
import { MethodParams, type MethodName, type ParamsOf } from '@ccx/shared/schemas';
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
  onClose(handler: () => void): void;
  onInput(handler: (data: Buffer) => void): void;
  onResize(handler: (cols: number, rows: number) => void): void;
  readonly closed: boolean;
}

/** A unary handler's return is checked against the method's declared result (packages/shared/src/contract.ts). */
export type UnaryHandler<M extends UnaryMethod> = (params: ParamsOf<M>, ctx: RequestContext) => ResultOf<M> | Promise<ResultOf<M>>;
export type StreamHandler<M extends StreamMethod> = (params: ParamsOf<M>, ctx: RequestContext, sink: StreamSink<FrameOf<M>, ResultOf<M>>) => void | Promise<void>;

export interface UnarySpec<M extends UnaryMethod> {
  kind: 'unary';
  handle: UnaryHandler<M>;
}
export interface StreamSpec<M extends StreamMethod> {
  kind: 'stream';
  handle: StreamHandler<M>;
}
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

/** What the dispatcher calls: a spec with its method's types erased (params were validated against the method's schema). */
export type AnySpec =
  | { kind: 'unary'; handle: (params: never, ctx: RequestContext) => unknown }
  | { kind: 'stream'; handle: (params: never, ctx: RequestContext, sink: StreamSink) => void | Promise<void> };

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
