import { describeParamIssues, helpHintFor, type ParamIssue } from './param-errors.js';
import { CcxError, type ErrorPayload } from '@ccx/shared';
import { MethodParams, type MethodName, type ParamsOf } from '@ccx/shared/schemas';
import type { Disposable } from './disposable.js';
import type { Connection } from './transport/connection.js';

export interface RequestContext {
  conn: Connection;
  requestId: number;
}

/** The daemon side of an open stream (attach, logs -f, events -f, wait). */
export interface StreamSink {
  /** Sends one frame; false means: await `drained()` before sending more. */
  send(data: unknown): boolean;
  /** Resolves when the socket has room again, or the stream or its connection closed. */
  drained(): Promise<void>;
  end(result?: unknown): void;
  fail(error: CcxError): void;
  /** Runs when the client closes the stream or disconnects. */
  onClose(handler: () => void): Disposable;
  onInput(handler: (data: Buffer) => void): Disposable;
  onResize(handler: (cols: number, rows: number) => void): Disposable;
  readonly closed: boolean;
}

export type UnaryHandler<M extends MethodName> = (params: ParamsOf<M>, ctx: RequestContext) => unknown;
export type StreamHandler<M extends MethodName> = (params: ParamsOf<M>, ctx: RequestContext, sink: StreamSink) => void | Promise<void>;

export type HandlerSpec<M extends MethodName> =
  | { kind: 'unary'; handle: UnaryHandler<M> }
  | { kind: 'stream'; handle: StreamHandler<M> };

/** One entry per method, grouped by area in `handlers/*`; dispatch is a lookup, never an if-chain. */
export type HandlerTable = { [M in MethodName]?: HandlerSpec<M> };

export function unary<M extends MethodName>(handle: UnaryHandler<M>): HandlerSpec<M> {
  return { kind: 'unary', handle };
}

export function stream<M extends MethodName>(handle: StreamHandler<M>): HandlerSpec<M> {
  return { kind: 'stream', handle };
}

export type Resolved =
  | { ok: true; method: MethodName; spec: HandlerSpec<MethodName>; params: unknown }
  | { ok: false; error: ErrorPayload };

/** Looks up the method and validates its params against the method's schema. */
export function resolveRequest(table: HandlerTable, method: string, params: unknown): Resolved {
  const spec = Object.hasOwn(table, method) ? (table[method as MethodName] as HandlerSpec<MethodName>) : undefined;
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
