// A raw protocol client for the drills: the same frames the CLI sends, without
// the CLI's start-up cost, so a drill can drive thousands of operations.
import { connect } from 'node:net';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION, effectiveVersion } from '../../packages/shared/dist/index.js';

export { encodeFrame, FrameDecoder, PROTOCOL_VERSION };

export const helloFrame = () => encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: effectiveVersion({}) });

/** Opens a plain socket to the daemon; resolves once connected. */
export function openSocket(socketPath, timeoutMs = 5_000) {
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
  constructor(payload) {
    super(`${payload?.code}: ${payload?.message}`);
    this.code = payload?.code;
    this.payload = payload;
  }
}

/**
 * A greeted connection: requests resolve with their result or reject with a
 * ProtocolError; streams deliver frames to a callback and end with their `end`.
 */
export class Client {
  #socket;
  #decoder = new FrameDecoder();
  #nextId = 1;
  #pending = new Map();
  #streams = new Map();
  closed;
  welcome;

  constructor(socket) {
    this.#socket = socket;
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', resolve));
    this.closed.then(() => {
      const error = new Error('connection closed');
      for (const p of this.#pending.values()) p.reject(error);
      for (const s of this.#streams.values()) s.reject(error);
      this.#pending.clear();
      this.#streams.clear();
    });
    socket.on('data', (chunk) => {
      let messages;
      try {
        messages = this.#decoder.push(chunk);
      } catch (error) {
        socket.destroy();
        return;
      }
      for (const m of messages) this.#receive(m);
    });
  }

  static async connect(socketPath, { timeoutMs = 10_000 } = {}) {
    const client = new Client(await openSocket(socketPath, timeoutMs));
    client.#socket.write(helloFrame());
    client.welcome = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no welcome')), timeoutMs);
      client.#pending.set(0, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
    return client;
  }

  #receive(m) {
    if (m.t === 'welcome' || m.t === 'fatal') {
      const p = this.#pending.get(0);
      this.#pending.delete(0);
      if (m.t === 'welcome') p?.resolve(m);
      else p?.reject(new ProtocolError(m.error));
      return;
    }
    if (m.t === 'res') {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new ProtocolError(m.error));
      return;
    }
    const s = this.#streams.get(m.id);
    if (!s) return;
    if (m.t === 'frame') s.onFrame(m.data);
    else if (m.t === 'end') {
      this.#streams.delete(m.id);
      if (m.error) s.reject(new ProtocolError(m.error));
      else s.resolve(m.result);
    }
  }

  request(method, params = {}, timeoutMs = 30_000) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.#socket.write(encodeFrame({ t: 'req', id, method, params }));
    });
  }

  /** Opens a stream; `done` settles with its end. */
  stream(method, params, onFrame) {
    const id = this.#nextId++;
    const done = new Promise((resolve, reject) => this.#streams.set(id, { onFrame, resolve, reject }));
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

  /** Vanish without a goodbye: no `close` frame, the socket is just destroyed. */
  destroy() {
    this.#socket.destroy();
  }

  end() {
    this.#socket.end();
  }
}

/** One-shot request on a fresh connection. */
export async function call(socketPath, method, params = {}, timeoutMs = 30_000) {
  const client = await Client.connect(socketPath);
  try {
    return await client.request(method, params, timeoutMs);
  } finally {
    client.destroy();
  }
}
