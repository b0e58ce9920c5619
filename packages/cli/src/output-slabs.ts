/** Bytes per slab: a few output frames (256 KiB each). */
const SLAB_BYTES = 1024 * 1024;
/** Free slabs kept for reuse; `logs` stops reading at 1 MiB queued, so a few are ever in use. */
const MAX_FREE_SLABS = 4;

/**
 * Writes output to a stream (stdout) through a few slabs of memory that are
 * reused once the stream has written them: each write copies the bytes into
 * the current slab, so the caller's buffer may be reused at once (the
 * connection's transient payloads, DaemonConnection.useTransientPayloads).
 * A fresh buffer per socket read, as before, cost a follower more in page
 * faults and unmapping than in everything else it does per byte.
 */
export class OutputSlabs {
  private readonly free: Buffer[] = [];
  private slab: Buffer | undefined;
  private used = 0;
  /** Writes not yet done, per slab. */
  private readonly pending = new Map<Buffer, number>();

  constructor(private readonly out: NodeJS.WritableStream) {}

  /** Copies `data` into slabs and writes it (the caller watches the stream's own buffer for backpressure). */
  write(data: Uint8Array): void {
    for (let at = 0; at < data.length; ) {
      if (!this.slab || this.used === this.slab.length) this.nextSlab();
      const slab = this.slab!;
      const n = Math.min(data.length - at, slab.length - this.used);
      slab.set(data.subarray(at, at + n), this.used);
      const piece = slab.subarray(this.used, this.used + n);
      this.used += n;
      at += n;
      this.pending.set(slab, (this.pending.get(slab) ?? 0) + 1);
      this.out.write(piece, () => this.written(slab));
    }
  }

  private nextSlab(): void {
    const old = this.slab;
    this.slab = this.free.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
    this.used = 0;
    if (old && !this.pending.has(old)) this.release(old);
  }

  private written(slab: Buffer): void {
    const left = (this.pending.get(slab) ?? 1) - 1;
    if (left > 0) {
      this.pending.set(slab, left);
      return;
    }
    this.pending.delete(slab);
    if (slab !== this.slab) this.release(slab);
  }

  private release(slab: Buffer): void {
    if (this.free.length < MAX_FREE_SLABS) this.free.push(slab);
  }
}
