/** A growing byte buffer: the filters write what passes into one, then take it as a Buffer. */
export class ByteSink {
  private buffer: Buffer;
  private length = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, 16));
  }

  append(source: Uint8Array, from: number, to: number): void {
    this.reserve(to - from);
    this.buffer.set(source.subarray(from, to), this.length);
    this.length += to - from;
  }

  bytes(values: readonly number[]): void {
    this.reserve(values.length);
    for (const value of values) this.buffer[this.length++] = value;
  }

  take(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }
}
