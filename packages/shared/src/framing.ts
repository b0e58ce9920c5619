import { MAX_FRAME_BYTES } from './limits.js';

/**
 * Wire format: each frame is a 4-byte big-endian length followed by that many
 * bytes of UTF-8 JSON. A length prefix lets the reader refuse an oversized
 * frame before buffering it, which a delimiter-based format cannot.
 */
const HEADER_BYTES = 4;

export class FrameError extends Error {
  constructor(
    readonly reason: 'oversized' | 'invalid-json',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) {
    throw new FrameError('oversized', `frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

/** A decoder keeps at most this much buffer capacity while no frame is partly received. */
const IDLE_CAPACITY_BYTES = 64 * 1024;

/**
 * Splits a byte stream into parsed JSON frames; holds at most one frame's bytes.
 *
 * Unparsed bytes live in `buf[0, used)`, whose capacity grows by doubling, so
 * the copying stays linear in the bytes received however small the chunks
 * are: concatenating every chunk onto what was pending made a client that
 * drips a 1 MiB frame in 100-byte writes cost the daemon seconds of CPU.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private used = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Returns the frames completed by `chunk`; throws FrameError on a violation. */
  push(chunk: Buffer): unknown[] {
    // Common case, nothing pending: parse straight from the chunk, no copy.
    const fromChunk = this.used === 0;
    if (!fromChunk) this.append(chunk);
    const data = fromChunk ? chunk : this.buf.subarray(0, this.used);
    const frames: unknown[] = [];
    let offset = 0;
    while (data.length - offset >= HEADER_BYTES) {
      const length = data.readUInt32BE(offset);
      if (length > this.maxFrameBytes) {
        this.reset();
        throw new FrameError('oversized', `frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
      }
      if (data.length - offset - HEADER_BYTES < length) break;
      const body = data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
      offset += HEADER_BYTES + length;
      try {
        frames.push(JSON.parse(body.toString('utf8')));
      } catch {
        this.reset();
        throw new FrameError('invalid-json', 'frame is not valid JSON');
      }
    }
    const rest = data.length - offset;
    if (rest === 0) {
      this.used = 0;
      if (this.buf.length > IDLE_CAPACITY_BYTES) this.buf = Buffer.alloc(0);
    } else if (fromChunk) {
      this.reserve(rest, data, offset);
      data.copy(this.buf, 0, offset);
      this.used = rest;
    } else if (offset > 0) {
      this.buf.copyWithin(0, offset, this.used);
      this.used = rest;
    }
    return frames;
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
    if (head.length - at >= HEADER_BYTES) capacity = Math.max(bytes, Math.min(capacity, HEADER_BYTES + head.readUInt32BE(at)));
    const grown = Buffer.allocUnsafe(capacity);
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }

  private reset(): void {
    this.buf = Buffer.alloc(0);
    this.used = 0;
  }
}
