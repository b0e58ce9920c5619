/**
 * A raw protocol client for tests, drills and the bench: the same frames the
 * CLI sends, without the CLI's start-up cost, so a drill can drive thousands
 * of operations.
 */
import { connect, type Socket } from 'node:net';
import { effectiveVersion, encodeFrame, FrameDecoder, PROTOCOL_VERSION, type ErrorPayload } from '@ccx/shared';

export { encodeFrame, FrameDecoder, PROTOCOL_VERSION };

export const helloFrame = (): Buffer => encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: effectiveVersion({}) });

/** Opens a plain socket to the daemon; resolves once connected. */
export function openSocket(socketPath: string, timeoutMs = 5_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect timeout: ${socketPath}`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export class ProtocolError extends Error {
  readonly code: string | undefined;
  constructor(readonly payload: ErrorPayload | undefined) {
    super(`${payload?.code}: ${payload?.message}`);
    this.code = payload?.code;
  }
}

/** A frame as the client reads it: only the fields it routes on are typed. */
interface IncomingFrame {
  t: string;
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: ErrorPayload;
  data?: unknown;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface OpenStream extends Pending {
  onFrame(data: unknown): void;
}

/** Handle of a stream opened with Client.stream. */
export interface StreamHandle<R = unknown> {
  id: number;
  /** Settles with the stream's `end` (its result, or a ProtocolError). */
  done: Promise<R>;
  input(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

/**
 * A greeted connection: requests resolve with their result or reject with a
 * ProtocolError; streams deliver frames to a callback and end with their `end`.
 */
export class Client {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder();
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #streams = new Map<number, OpenStream>();
  readonly closed: Promise<void>;
  welcome: { t: 'welcome'; protocol: number; version: string; pid: number } | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    void this.closed.then(() => {
      const error = new Error('connection closed');
      for (const p of this.#pending.values()) p.reject(error);
      for (const s of this.#streams.values()) s.reject(error);
      this.#pending.clear();
      this.#streams.clear();
    });
    socket.on('data', (chunk: Buffer) => {
      let messages: unknown[];
      try {
        messages = this.#decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const m of messages) this.#receive(m as IncomingFrame);
    });
  }

  static async connect(socketPath: string, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<Client> {
    const client = new Client(await openSocket(socketPath, timeoutMs));
    client.#socket.write(helloFrame());
    client.welcome = await new Promise<Client['welcome']>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no welcome')), timeoutMs);
      client.#pending.set(0, {
        resolve: (v) => (clearTimeout(timer), resolve(v as Client['welcome'])),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
    return client;
  }

  #receive(m: IncomingFrame): void {
    if (m.t === 'welcome' || m.t === 'fatal') {
      const p = this.#pending.get(0);
      this.#pending.delete(0);
      if (m.t === 'welcome') p?.resolve(m);
      else p?.reject(new ProtocolError(m.error));
      return;
    }
    if (m.t === 'res') {
      const p = this.#pending.get(m.id!);
      this.#pending.delete(m.id!);
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new ProtocolError(m.error));
      return;
    }
    const s = this.#streams.get(m.id!);
    if (!s) return;
    if (m.t === 'frame') s.onFrame(m.data);
    else if (m.t === 'end') {
      this.#streams.delete(m.id!);
      if (m.error) s.reject(new ProtocolError(m.error));
      else s.resolve(m.result);
    }
  }

  request<R = unknown>(method: string, params: object = {}, timeoutMs = 30_000): Promise<R> {
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as R)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.#socket.write(encodeFrame({ t: 'req', id, method, params }));
    });
  }

  /** Opens a stream; `done` settles with its end. */
  stream<F = unknown, R = unknown>(method: string, params: object, onFrame: (data: F) => void): StreamHandle<R> {
    const id = this.#nextId++;
    const done = new Promise<R>((resolve, reject) =>
      this.#streams.set(id, { onFrame: onFrame as (data: unknown) => void, resolve: resolve as (v: unknown) => void, reject }),
    );
    done.catch(() => {});
    this.#socket.write(encodeFrame({ t: 'req', id, method, params }));
    return {
      id,
      done,
      input: (data) => this.#socket.write(encodeFrame({ t: 'input', id, data: Buffer.from(data).toString('base64') })),
      resize: (cols, rows) => this.#socket.write(encodeFrame({ t: 'resize', id, cols, rows })),
      close: () => this.#socket.write(encodeFrame({ t: 'close', id })),
    };
  }

  /** Pid of the daemon that welcomed this connection. */
  get daemonPid(): number | undefined {
    return this.welcome?.pid;
  }

  /** Ends the connection and drops it at once (as the CLI's DaemonConnection.close does). */
  close(): void {
    this.#socket.end();
    this.#socket.destroy();
  }

  /** Vanish without a goodbye: no `close` frame, the socket is just destroyed. */
  destroy(): void {
    this.#socket.destroy();
  }

  end(): void {
    this.#socket.end();
  }
}

/** One-shot request on a fresh connection. */
export async function call<R = unknown>(socketPath: string, method: string, params: object = {}, timeoutMs = 30_000): Promise<R> {
  const client = await Client.connect(socketPath);
  try {
    return await client.request<R>(method, params, timeoutMs);
  } finally {
    client.destroy();
  }
}
