import { connect, type Socket } from 'node:net';
import { CcxError, CONNECT_TIMEOUT_MS, encodeFrame, HELLO_TIMEOUT_MS, FrameDecoder, FrameError, PROTOCOL_VERSION, setLongTimeout } from '@ccx/shared';
import type { ErrorPayload, FrameOf, ParamsOf, ResultOf, ServerMessage, StreamMethod, UnaryMethod } from '@ccx/shared';

/** Why a connection attempt failed: nobody listening is a reason to start a daemon. */
export type ConnectFailure = 'absent' | 'refused' | 'timeout' | 'denied' | 'other';

export class ConnectError extends Error {
  constructor(
    readonly reason: ConnectFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Connects to the daemon's socket (or Windows pipe) with a hard timeout.
 *
 * The daemon serves with node-ipc, but the client side uses node:net
 * directly: the framing is ours, node-ipc's client only adds retry logic we
 * disable, and loading it pulls in tls, dgram and crypto — about 16 ms of
 * every `ccx` command's start-up (docs/benchmarks.md).
 */
export function openSocket(address: string, timeoutMs = CONNECT_TIMEOUT_MS, reads: SocketReads = 'owned'): Promise<ReadingSocket> {
  return new Promise((resolve, reject) => {
    // Reads into one large buffer: a follower of a flood then makes a few
    // reads per output frame instead of one per 64 KiB (libuv's size), each
    // a turn through the stream machinery. Listeners get 'data' as before:
    // a copy they own ('owned'), or a view of the buffer that the next read
    // reuses ('views': for a DaemonConnection, which copies only what it must).
    const readBuffer = Buffer.allocUnsafe(SOCKET_READ_BYTES);
    const socket: ReadingSocket = Object.assign(connect({
      path: address,
      onread: {
        buffer: readBuffer,
        callback: (bytes, buf) => (socket.emit('data', reads === 'views' ? buf.subarray(0, bytes) : Buffer.from(buf.subarray(0, bytes))), true),
      },
    }), { reads });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectError('timeout', `no answer from the daemon socket within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const reason: ConnectFailure =
        error.code === 'ENOENT' ? 'absent' : error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'EACCES' || error.code === 'EPERM' ? 'denied' : 'other';
      reject(new ConnectError(reason, `cannot connect to ${address}: ${error.code ?? error.message}`));
    });
  });
}

/** What a socket's 'data' chunks are: copies the listener owns, or views valid only while it runs (see openSocket). */
export type SocketReads = 'owned' | 'views';

/** A socket from openSocket, which says what its 'data' chunks are (a ByteChannel for DaemonConnection). */
export type ReadingSocket = Socket & { readonly reads: SocketReads };

/** One socket read takes at most this much: more than an output frame, so a frame the kernel already holds comes in one read. */
const SOCKET_READ_BYTES = 1024 * 1024;

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void };

/**
 * The byte stream a connection runs over: the daemon's socket, or the pipes
 * of an `ssh host ccx daemon dial-stdio` child (client/ssh-channel.ts). It
 * emits 'data' (Buffers), 'close' once, and 'error'.
 */
export interface ByteChannel {
  write(data: Buffer): boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close' | 'error', listener: () => void): unknown;
  /** 'views': 'data' chunks are views of a buffer the channel's next read reuses (openSocket's); otherwise the listener owns them. */
  readonly reads?: SocketReads;
  /** Why the channel closed, when it knows better than "the daemon closed the connection". */
  closeReason?(): CcxError | undefined;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
}

export interface StreamHandlers {
  onFrame(data: unknown): void;
}

/** A greeted connection to the daemon: requests with correlation ids, and streams. */
export class DaemonConnection {
  /** The daemon's frames are trusted for their declared size: output payloads arrive without a copy (framing.ts). */
  private decoder = new FrameDecoder(undefined, { trustDeclaredLength: true });
  /** Output payloads are views valid only during onFrame (useTransientPayloads). */
  private transientPayloads = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, StreamHandlers & Pending>();
  private closedError: CcxError | undefined;
  daemonVersion = '';
  daemonPid = 0;

  private constructor(private readonly socket: ByteChannel) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () =>
      this.failAll(this.closedError ?? socket.closeReason?.() ?? new CcxError('E_DAEMON_UNAVAILABLE', 'the daemon closed the connection', 'see the daemon log: ccx daemon logs')),
    );
    socket.on('error', () => {});
  }

  /** Greets the daemon at the other end of an already open channel (a socket, or ssh's pipes): hello, then its welcome; a version mismatch is E_VERSION. */
  static async over(channel: ByteChannel, version: string, timeoutMs = HELLO_TIMEOUT_MS): Promise<DaemonConnection> {
    const conn = new DaemonConnection(channel);
    const welcome = await conn.handshake(version, timeoutMs);
    conn.daemonVersion = welcome.version;
    conn.daemonPid = welcome.pid;
    return conn;
  }

  private handshake(version: string, timeoutMs: number): Promise<{ version: string; pid: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new CcxError('E_DAEMON_UNAVAILABLE', `the daemon accepted the connection but did not answer within ${timeoutMs} ms`, 'it may be overloaded or stuck: ccx daemon restart'));
        this.socket.destroy();
      }, timeoutMs);
      this.pending.set(0, {
        resolve: (w) => {
          clearTimeout(timer);
          resolve(w as { version: string; pid: number });
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version }));
    });
  }

  /** A unary method: params and result are the contract's (packages/shared/src/contract.ts). */
  request<M extends UnaryMethod>(method: M, params: ParamsOf<M>, timeoutMs?: number): Promise<ResultOf<M>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      this.pending.set(id, this.withDeadline(method, timeoutMs, () => this.pending.delete(id), resolve as (v: unknown) => void, reject));
      this.socket.write(encodeFrame({ t: 'req', id, method, params }));
    });
  }

  /**
   * Opens a stream; resolves with its end result. Returns the id for
   * input/resize/close. With `timeoutMs`, a stream the daemon has not ended
   * by then fails with E_TIMEOUT.
   */
  stream<M extends StreamMethod>(method: M, params: ParamsOf<M>, onFrame: (data: FrameOf<M>) => void, timeoutMs?: number): { id: number; done: Promise<ResultOf<M>> } {
    const id = this.nextId++;
    const done = new Promise<ResultOf<M>>((resolve, reject) => {
      // Frames are the daemon's, sent for this method: typed by the contract, not checked again here.
      this.streams.set(id, { onFrame: onFrame as (data: unknown) => void, ...this.withDeadline(method, timeoutMs, () => this.streams.delete(id), resolve as (v: unknown) => void, reject) });
    });
    if (this.closedError) this.streams.get(id)!.reject(this.closedError);
    else this.socket.write(encodeFrame({ t: 'req', id, method, params }));
    return { id, done };
  }

  /** Settlers that fail with E_TIMEOUT (after `forget`) when no answer came within `timeoutMs`. */
  private withDeadline(method: string, timeoutMs: number | undefined, forget: () => void, resolve: (value: unknown) => void, reject: (error: unknown) => void): Pending {
    if (timeoutMs === undefined) return { resolve, reject };
    const timer = setLongTimeout(() => {
      forget();
      reject(new CcxError('E_TIMEOUT', `${method} got no answer within ${timeoutMs} ms`, 'the daemon may be overloaded: ccx daemon status'));
    }, timeoutMs);
    return {
      resolve: (value) => (timer.dispose(), resolve(value)),
      reject: (error) => (timer.dispose(), reject(error)),
    };
  }

  /** Writes a stream control message; false when the socket buffer is full. */
  control(message: { t: 'input'; id: number; data: string } | { t: 'resize'; id: number; cols: number; rows: number } | { t: 'close'; id: number }): boolean {
    if (this.closedError) return false;
    return this.socket.write(encodeFrame(message));
  }

  /** Stops reading, so the daemon's socket buffer fills (used to pause a follower). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  /**
   * From now on, binary payloads (output) handed to stream frame handlers
   * are views valid only while the handler runs: a reader that copies what
   * it keeps into memory it reuses (`logs`) then makes no allocation per
   * socket read, and none of the page faults fresh memory costs.
   */
  useTransientPayloads(): void {
    if (this.transientPayloads || this.decoder.bufferedBytes > 0) return;
    this.transientPayloads = true;
    this.decoder = new FrameDecoder(undefined, { trustDeclaredLength: true, transientPayloads: true });
  }

  private receive(chunk: Buffer): void {
    let frames: unknown[];
    try {
      // A view of the socket's reused read buffer is copied unless payloads are transient: payloads are views of the chunk.
      frames = this.decoder.push(this.transientPayloads || this.socket.reads !== 'views' ? chunk : Buffer.from(chunk));
    } catch (error) {
      this.closedError = new CcxError('E_PROTOCOL', `bad frame from daemon: ${(error as FrameError).message}`, 'ccx daemon restart');
      this.socket.destroy();
      return;
    }
    for (const frame of frames) this.dispatch(frame as ServerMessage);
  }

  private dispatch(msg: ServerMessage): void {
    switch (msg.t) {
      case 'welcome':
        this.pending.get(0)?.resolve(msg);
        this.pending.delete(0);
        return;
      case 'fatal':
        this.closedError = CcxError.fromPayload(msg.error as ErrorPayload);
        this.failAll(this.closedError);
        return;
      case 'res': {
        const p = this.pending.get(msg.id) ?? this.streams.get(msg.id);
        this.pending.delete(msg.id);
        this.streams.delete(msg.id);
        if (!p) return;
        if (msg.ok) p.resolve(msg.result);
        else p.reject(CcxError.fromPayload(msg.error as ErrorPayload));
        return;
      }
      case 'frame':
        this.streams.get(msg.id)?.onFrame(msg.data);
        return;
      case 'end': {
        const s = this.streams.get(msg.id);
        this.streams.delete(msg.id);
        if (!s) return;
        if (msg.error) s.reject(CcxError.fromPayload(msg.error as ErrorPayload));
        else s.resolve(msg.result);
        return;
      }
    }
  }

  private failAll(error: CcxError): void {
    this.closedError ??= error;
    for (const p of this.pending.values()) p.reject(error);
    for (const s of this.streams.values()) s.reject(error);
    this.pending.clear();
    this.streams.clear();
  }
}
