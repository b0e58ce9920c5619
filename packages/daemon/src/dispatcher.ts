import { PROTOCOL_VERSION, CcxError } from '@ccx/shared';
import { ClientMessageSchema, type ClientMessage } from '@ccx/shared/schemas';
import type { Disposable } from './disposable.js';
import type { Logger } from './logger.js';
import { contextFor, resolveRequest, toErrorPayload, type HandlerTable, type StreamSink, type TargetResolver } from './router.js';
import type { Connection } from './transport/connection.js';

interface OpenStream {
  closeHandlers: Array<() => void>;
  inputHandlers: Array<(data: Buffer) => void>;
  resizeHandlers: Array<(cols: number, rows: number) => void>;
  ended: boolean;
}

/**
 * Speaks the protocol on one connection: `hello` first, then requests and
 * stream control messages. Every message is validated before a handler sees
 * it; nothing a client sends can throw out of here.
 */
export class Dispatcher {
  private readonly streams = new Map<Connection, Map<number, OpenStream>>();

  constructor(
    private readonly table: HandlerTable,
    private readonly version: string,
    private readonly logger: Logger,
    /** Resolves the targets the table declares (handlers/targets.ts). */
    private readonly targets: TargetResolver,
  ) {}

  /** Streams open on every connection, for leak checks. */
  get openStreams(): number {
    let n = 0;
    for (const open of this.streams.values()) n += open.size;
    return n;
  }

  /** Streams open on one connection: a connection with one is never closed as idle (transport/connection-limits.ts). */
  openStreamsOf(conn: Connection): number {
    return this.streams.get(conn)?.size ?? 0;
  }

  /**
   * Deadlines (hello, idle, partial frame) and the connection cap are the
   * transport's (ipc-server.ts); it asks `openStreamsOf` which connections
   * hold a stream.
   */
  attach(conn: Connection): void {
    this.streams.set(conn, new Map());
    conn.onClose(() => {
      const open = this.streams.get(conn);
      this.streams.delete(conn);
      for (const s of open?.values() ?? []) this.closeStream(s);
    });
  }

  receive(conn: Connection, chunk: Buffer): void {
    const frames = conn.decode(chunk);
    if (frames) this.process(conn, frames, 0);
  }

  private process(conn: Connection, frames: unknown[], from: number): void {
    for (let i = from; i < frames.length; i++) {
      const frame = frames[i];
      if (conn.isClosed) return;
      if (conn.congested && (frame as { t?: unknown })?.t === 'req') {
        // A client that sends requests without reading the replies would make
        // the daemon buffer replies without bound (100k pipelined `list`s took
        // it from 77 to 440 MiB): read nothing more until it catches up. Only
        // requests wait: keystrokes, resizes and stream closes have no reply,
        // and an attached client's socket is routinely full during a flood.
        conn.holdReading(() => this.process(conn, frames, i));
        return;
      }
      const parsed = ClientMessageSchema.safeParse(frame);
      if (!parsed.success) {
        const id = typeof (frame as { id?: unknown })?.id === 'number' ? (frame as { id: number }).id : 0;
        conn.send({ t: 'res', id, ok: false, error: { code: 'E_PROTOCOL', message: 'malformed message', hint: 'messages are {t:"hello"|"req"|"input"|"resize"|"close", ...}' } });
        continue;
      }
      this.handle(conn, parsed.data);
    }
  }

  private handle(conn: Connection, msg: ClientMessage): void {
    if (msg.t === 'hello') return this.greet(conn, msg.protocol, msg.version);
    if (!conn.greeted) {
      conn.fatal('E_PROTOCOL', 'expected hello first', 'send {t:"hello", protocol, version} before any request');
      return;
    }
    const stream = msg.t === 'req' ? undefined : this.streams.get(conn)?.get(msg.id);
    switch (msg.t) {
      case 'req':
        void this.request(conn, msg.id, msg.method, msg.params);
        return;
      case 'input':
        stream?.inputHandlers.forEach((h) => this.isolated('input', () => h(Buffer.from(msg.data, 'base64'))));
        return;
      case 'resize':
        stream?.resizeHandlers.forEach((h) => this.isolated('resize', () => h(msg.cols, msg.rows)));
        return;
      case 'close':
        if (stream) this.closeStream(stream);
        this.streams.get(conn)?.delete(msg.id);
        return;
    }
  }

  /** Runs a stream control handler; one that throws must not drop the rest of the client's frames. */
  private isolated(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.logger.error('stream handler failed', { what, error: String((error as Error)?.stack ?? error) });
    }
  }

  private greet(conn: Connection, protocol: number, version: string): void {
    if (protocol !== PROTOCOL_VERSION || version !== this.version) {
      conn.fatal(
        'E_VERSION',
        `ccx ${version} (protocol ${protocol}) cannot talk to daemon ${this.version} (protocol ${PROTOCOL_VERSION})`,
        'restart the daemon with the ccx you are running: ccx daemon restart',
      );
      return;
    }
    conn.greeted = true;
    conn.send({ t: 'welcome', protocol: PROTOCOL_VERSION, version: this.version, pid: process.pid });
  }

  private async request(conn: Connection, id: number, method: string, params: unknown): Promise<void> {
    const resolved = resolveRequest(this.table, method, params);
    if (!resolved.ok) {
      conn.send({ t: 'res', id, ok: false, error: resolved.error });
      return;
    }
    const base = { conn, requestId: id };
    if (resolved.spec.kind === 'unary') {
      conn.requestStarted();
      try {
        const ctx = contextFor(resolved.spec, resolved.params, base, this.targets);
        const result = await resolved.spec.handle(resolved.params as never, ctx as never);
        conn.send({ t: 'res', id, ok: true, result: result ?? null });
      } catch (error) {
        if (!(error instanceof CcxError)) this.logger.error('handler failed', { method, error: String((error as Error)?.stack ?? error) });
        conn.send({ t: 'res', id, ok: false, error: toErrorPayload(error) });
      } finally {
        conn.requestDone();
      }
      return;
    }
    const sink = this.openStream(conn, id);
    try {
      // Resolved once the stream is open: a bad target ends the stream with the error, as a handler's own throw would.
      const ctx = contextFor(resolved.spec, resolved.params, base, this.targets);
      await resolved.spec.handle(resolved.params as never, ctx as never, sink);
    } catch (error) {
      if (!(error instanceof CcxError)) this.logger.error('stream handler failed', { method, error: String((error as Error)?.stack ?? error) });
      sink.fail(error instanceof CcxError ? error : new CcxError('E_INTERNAL', String((error as Error)?.message ?? error)));
    }
  }

  private openStream(conn: Connection, id: number): StreamSink {
    const state: OpenStream = { closeHandlers: [], inputHandlers: [], resizeHandlers: [], ended: false };
    this.streams.get(conn)?.set(id, state);
    const finish = (message: { result?: unknown; error?: ReturnType<typeof toErrorPayload> }): void => {
      if (state.ended) return;
      conn.send({ t: 'end', id, ...message });
      this.streams.get(conn)?.delete(id);
      this.closeStream(state);
    };
    return {
      send: (data) => !state.ended && conn.send({ t: 'frame', id, data }),
      // Also settles when this stream closes: a client that closes one stream of
      // a full connection must not leave its writer waiting for a drain.
      drained: () => (state.ended ? Promise.resolve() : streamDrained(conn, state)),
      end: (result) => finish({ result: result ?? null }),
      fail: (error) => finish({ error: toErrorPayload(error) }),
      onClose: (h) => (state.ended ? (h(), { dispose: () => {} }) : subscribe(state.closeHandlers, h)),
      onInput: (h) => subscribe(state.inputHandlers, h),
      onResize: (h) => subscribe(state.resizeHandlers, h),
      get closed() {
        return state.ended || conn.isClosed;
      },
    };
  }

  private closeStream(state: OpenStream): void {
    if (state.ended) return;
    state.ended = true;
    for (const handler of state.closeHandlers.splice(0)) {
      try {
        handler();
      } catch (error) {
        this.logger.warn('stream close handler threw', { error: String(error) });
      }
    }
    state.inputHandlers.length = 0;
    state.resizeHandlers.length = 0;
  }
}

/** The connection's drain, or this stream's close, whichever comes first; leaves no close handler behind. */
function streamDrained(conn: Connection, state: OpenStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      const at = state.closeHandlers.indexOf(done);
      if (at >= 0) state.closeHandlers.splice(at, 1);
      resolve();
    };
    state.closeHandlers.push(done);
    void conn.drained().then(done);
  });
}

/** Adds a handler to a list; the Disposable takes it out again. */
function subscribe<H>(handlers: H[], handler: H): Disposable {
  handlers.push(handler);
  return {
    dispose: () => {
      const at = handlers.indexOf(handler);
      if (at >= 0) handlers.splice(at, 1);
    },
  };
}
