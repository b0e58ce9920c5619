/**
 * The last few chunks read from an output log, kept so that followers of the
 * same output share one read: N `logs -f` followers of a flood all ask for
 * the same range in the same turn, and each reading it from disk again cost
 * a copy per follower per byte (and its allocation) for bytes that are
 * already in memory. Log bytes never change once written, so a chunk stays
 * valid for its offsets; only what it holds is bounded.
 */
export class RecentReads {
  /** Oldest first. */
  private chunks: { offset: number; data: Buffer }[] = [];
  private heldBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The bytes [offset, offset + length) when one chunk holds all of them; a view, never to be written to. */
  find(offset: number, length: number): Buffer | undefined {
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const chunk = this.chunks[i]!;
      const at = offset - chunk.offset;
      if (at >= 0 && at + length <= chunk.data.length) return chunk.data.subarray(at, at + length);
    }
    return undefined;
  }

  remember(offset: number, data: Buffer): void {
    if (data.length === 0 || data.length > this.maxBytes) return;
    this.chunks.push({ offset, data });
    this.heldBytes += data.length;
    while (this.heldBytes > this.maxBytes) this.heldBytes -= this.chunks.shift()!.data.length;
  }

  clear(): void {
    this.chunks = [];
    this.heldBytes = 0;
  }
}
