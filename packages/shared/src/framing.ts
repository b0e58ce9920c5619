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

/** Splits a byte stream into parsed JSON frames; holds at most one frame's bytes. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Returns the frames completed by `chunk`; throws FrameError on a violation. */
  push(chunk: Buffer): unknown[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: unknown[] = [];
    let offset = 0;
    while (this.pending.length - offset >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(offset);
      if (length > this.maxFrameBytes) {
        this.pending = Buffer.alloc(0);
        throw new FrameError('oversized', `frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
      }
      if (this.pending.length - offset - HEADER_BYTES < length) break;
      const body = this.pending.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
      offset += HEADER_BYTES + length;
      try {
        frames.push(JSON.parse(body.toString('utf8')));
      } catch {
        this.pending = Buffer.alloc(0);
        throw new FrameError('invalid-json', 'frame is not valid JSON');
      }
    }
    this.pending = offset === 0 ? this.pending : Buffer.from(this.pending.subarray(offset));
    return frames;
  }

  get bufferedBytes(): number {
    return this.pending.length;
  }
}
