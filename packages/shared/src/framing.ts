import { MAX_FRAME_BYTES } from './limits.js';

/**
 * Wire format: each frame is a 4-byte big-endian length followed by that many
 * bytes of body. A length prefix lets the reader refuse an oversized frame
 * before buffering it, which a delimiter-based format cannot.
 *
 * A body is either UTF-8 JSON (always an object, so its first byte is `{`)
 * or a binary frame, whose first byte is BINARY_FRAME_TAG:
 *
 *     0x00 | u32 BE header length | header (UTF-8 JSON) | payload (raw bytes)
 *
 * A binary frame carries a stream frame (`t: 'frame'`) whose `data.data` is
 * bytes, such as program output: the header is the message without those
 * bytes, and the decoder puts the payload back in their place. Output then
 * crosses the socket as it is, instead of base64 inside JSON (a third larger,
 * and encoded, serialized, parsed and decoded once per follower).
 */
const HEADER_BYTES = 4;

/** First body byte of a binary frame; a JSON body starts with `{`. */
export const BINARY_FRAME_TAG = 0x00;

/** Tag byte and the u32 length of the binary frame's JSON header. */
const BINARY_PREFIX_BYTES = 5;

export class FrameError extends Error {
  constructor(
    readonly reason: 'oversized' | 'invalid-json' | 'invalid-binary',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** A stream frame whose `data.data` is bytes: what travels as a binary frame. */
type BytesFrame = { t: 'frame'; data: { data: Uint8Array } };

function isBytesFrame(message: unknown): message is BytesFrame {
  const m = message as { t?: unknown; data?: { data?: unknown } } | null;
  return m?.t === 'frame' && typeof m.data === 'object' && m.data !== null && m.data.data instanceof Uint8Array;
}

export function encodeFrame(message: unknown): Buffer {
  if (isBytesFrame(message)) return encodeBinaryFrame(message);
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) {
    throw new FrameError('oversized', `frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

/** Header JSON, then the bytes copied once into the frame. */
function encodeBinaryFrame(message: BytesFrame): Buffer {
  const [head, payload] = encodeBinaryFrameParts(message);
  const frame = Buffer.allocUnsafe(head.length + payload.length);
  head.copy(frame, 0);
  frame.set(payload, head.length);
  return frame;
}

/**
 * A frame as the buffers to write one after the other: for a binary frame
 * its length, tag and header, then the payload itself, not copied. A
 * writer that sends both in one writev (a corked socket) then never copies
 * the bytes in user space: the daemon sends one chunk of output to every
 * follower from the same buffer.
 */
export function encodeFrameParts(message: unknown): Uint8Array[] {
  return isBytesFrame(message) ? encodeBinaryFrameParts(message) : [encodeFrame(message)];
}

function encodeBinaryFrameParts(message: BytesFrame): [Buffer, Uint8Array] {
  const payload = message.data.data;
  const header = JSON.stringify({ ...message, data: { ...message.data, data: undefined } });
  const headerBytes = Buffer.byteLength(header, 'utf8');
  const bodyBytes = BINARY_PREFIX_BYTES + headerBytes + payload.length;
  if (bodyBytes > MAX_FRAME_BYTES) {
    throw new FrameError('oversized', `frame of ${bodyBytes} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  const head = Buffer.allocUnsafe(HEADER_BYTES + BINARY_PREFIX_BYTES + headerBytes);
  head.writeUInt32BE(bodyBytes, 0);
  head[HEADER_BYTES] = BINARY_FRAME_TAG;
  head.writeUInt32BE(headerBytes, HEADER_BYTES + 1);
  head.write(header, HEADER_BYTES + BINARY_PREFIX_BYTES, 'utf8');
  return [head, payload];
}

/**
 * Parses one frame body. `owned` says the body's memory stays as it is (a
 * socket chunk): a payload may then be a view of it; otherwise (the decoder's
 * reused buffer) it is copied out.
 */
function decodeBody(body: Buffer, owned: boolean): unknown {
  if (body.length === 0 || body[0] !== BINARY_FRAME_TAG) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new FrameError('invalid-json', 'frame is not valid JSON');
    }
  }
  const headerBytes = body.length >= BINARY_PREFIX_BYTES ? body.readUInt32BE(1) : -1;
  if (headerBytes < 0 || headerBytes > body.length - BINARY_PREFIX_BYTES) {
    throw new FrameError('invalid-binary', 'binary frame header is cut short');
  }
  let message: { data?: unknown };
  try {
    message = JSON.parse(body.toString('utf8', BINARY_PREFIX_BYTES, BINARY_PREFIX_BYTES + headerBytes));
  } catch {
    throw new FrameError('invalid-binary', 'binary frame header is not valid JSON');
  }
  if (typeof message !== 'object' || message === null || typeof message.data !== 'object' || message.data === null) {
    throw new FrameError('invalid-binary', 'binary frame header has no data object for its payload');
  }
  const view = body.subarray(BINARY_PREFIX_BYTES + headerBytes);
  (message.data as { data: Buffer }).data = owned ? view : Buffer.from(view);
  return message;
}

export interface FrameDecoderOptions {
  /**
   * The peer is the daemon, whose socket was verified before the hello: a
   * frame's buffer is allocated at its declared size as soon as its header is
   * in, and a binary payload is handed out as a view of that buffer, which the
   * decoder then lets go, instead of being copied out. Growing by doubling and
   * copying out cost a follower ~3 allocations and copies per output frame.
   * Never for the daemon's own decoder: a client may declare 1 MiB and send 4 bytes.
   */
  trustDeclaredLength?: boolean;
  /**
   * Binary payloads are views valid only until the next `push`, of the
   * chunk or of the decoder's buffer, which is kept and reused: for a
   * reader that copies what it keeps (`logs` into its reused output slabs),
   * so that a follower allocates no fresh memory per read.
   */
  transientPayloads?: boolean;
}

/** A decoder keeps at most this much buffer capacity while no frame is partly received. */
const IDLE_CAPACITY_BYTES = 64 * 1024;

/**
 * Splits a byte stream into parsed frames (JSON, or binary with their payload
 * as a Buffer at `data.data`); holds at most one frame's bytes.
 *
 * Unparsed bytes live in `buf[0, used)`, whose capacity grows by doubling, so
 * the copying stays linear in the bytes received however small the chunks
 * are: concatenating every chunk onto what was pending made a client that
 * drips a 1 MiB frame in 100-byte writes cost the daemon seconds of CPU.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  /** transientPayloads: the buffer of the frame completed last, kept for reuse. */
  private spare: Buffer = Buffer.alloc(0);
  private used = 0;

  constructor(
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
    private readonly options: FrameDecoderOptions = {},
  ) {}

  /** Returns the frames completed by `chunk`; throws FrameError on a violation. */
  push(chunk: Buffer): unknown[] {
    const frames: unknown[] = [];
    // A frame begun in an earlier chunk takes only the bytes that complete
    // it; the frames after it are parsed straight from the chunk. Copying the
    // whole chunk behind it cost a follower a fresh buffer, and its page
    // faults, the size of every socket read.
    let offset = this.used > 0 ? this.completePending(chunk, frames) : 0;
    if (this.used > 0) return frames;
    const transient = this.options.transientPayloads === true;
    while (chunk.length - offset >= HEADER_BYTES) {
      const length = chunk.readUInt32BE(offset);
      this.checkLength(length);
      if (chunk.length - offset - HEADER_BYTES < length) break;
      const body = chunk.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
      offset += HEADER_BYTES + length;
      frames.push(this.decode(body, true));
    }
    const rest = chunk.length - offset;
    if (rest > 0) {
      this.reserve(rest, chunk, offset);
      chunk.copy(this.buf, 0, offset);
      this.used = rest;
    } else if (!transient && this.buf.length > IDLE_CAPACITY_BYTES) {
      this.buf = Buffer.alloc(0);
    }
    return frames;
  }

  /** Moves the head of `chunk` into the pending frame, up to its end; pushes the frame when complete. Returns the bytes taken. */
  private completePending(chunk: Buffer, frames: unknown[]): number {
    let taken = 0;
    if (this.used < HEADER_BYTES) {
      taken = Math.min(HEADER_BYTES - this.used, chunk.length);
      this.append(chunk.subarray(0, taken));
      if (this.used < HEADER_BYTES) return taken;
    }
    const length = this.buf.readUInt32BE(0);
    this.checkLength(length);
    const more = Math.min(HEADER_BYTES + length - this.used, chunk.length - taken);
    this.append(chunk.subarray(taken, taken + more));
    taken += more;
    if (this.used < HEADER_BYTES + length) return taken;
    const body = this.buf.subarray(HEADER_BYTES, HEADER_BYTES + length);
    const transient = this.options.transientPayloads === true;
    const lends = this.options.trustDeclaredLength === true && !transient;
    const frame = this.decode(body, lends || transient);
    frames.push(frame);
    if (lends && body[0] === BINARY_FRAME_TAG) this.reset(); // the payload is a view of the buffer, which is the frame's now
    else if (transient) {
      // The frame's payload stays valid through this push: what is left of the chunk goes to the other buffer.
      [this.buf, this.spare] = [this.spare, this.buf];
      this.used = 0;
    } else {
      this.used = 0;
      if (this.buf.length > IDLE_CAPACITY_BYTES) this.buf = Buffer.alloc(0);
    }
    return taken;
  }

  private checkLength(length: number): void {
    if (length <= this.maxFrameBytes) return;
    this.reset();
    throw new FrameError('oversized', `frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
  }

  /** decodeBody, forgetting what is pending when the frame is bad (the stream is unusable past it). */
  private decode(body: Buffer, owned: boolean): unknown {
    try {
      return decodeBody(body, owned);
    } catch (error) {
      this.reset();
      throw error;
    }
  }

  get bufferedBytes(): number {
    return this.used;
  }

  /** Buffer capacity held, which may exceed `bufferedBytes` (growth by doubling). */
  get capacityBytes(): number {
    return this.buf.length;
  }

  private append(chunk: Buffer): void {
    const needed = this.used + chunk.length;
    if (needed > this.buf.length) {
      // The pending frame's header may only now be complete: look at what is pending plus the chunk.
      const head = this.used >= HEADER_BYTES ? this.buf : Buffer.concat([this.buf.subarray(0, this.used), chunk.subarray(0, HEADER_BYTES)]);
      this.reserve(needed, head, 0);
    }
    chunk.copy(this.buf, this.used);
    this.used += chunk.length;
  }

  /**
   * Makes room for `bytes`, keeping what is pending. Capacity doubles, but
   * never past the pending frame's declared size (known once its header is
   * in `head` at `at`): the declared length is not allocated up front (a
   * client that declares 1 MiB and sends 4 bytes costs 4 KiB), and doubling
   * must not hold 2 MiB for a 1 MiB frame (300 partial frames held ~226 MiB).
   */
  private reserve(bytes: number, head: Buffer, at: number): void {
    if (bytes <= this.buf.length) return;
    let capacity = Math.max(bytes, this.buf.length * 2, 4096);
    if (head.length - at >= HEADER_BYTES) {
      const declared = HEADER_BYTES + head.readUInt32BE(at);
      capacity = Math.max(bytes, this.options.trustDeclaredLength ? declared : Math.min(capacity, declared));
    }
    const grown = Buffer.allocUnsafe(capacity);
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }

  private reset(): void {
    this.buf = Buffer.alloc(0);
    this.used = 0;
  }
}
