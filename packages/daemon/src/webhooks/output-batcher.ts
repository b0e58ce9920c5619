export interface OutputBatch {
  sessionId: string;
  offset: number;
  bytes: number;
  text: string;
  /** Bytes before `offset` that rotated out of the output log before they could be read. */
  skipped: number;
}

export interface OutputBatcherOptions {
  batchMs: number;
  batchBytes: number;
  /** Reads the session's output log; undefined when the session is gone. */
  read: (sessionId: string, offset: number, maxBytes: number) => { offset: number; data: Buffer } | undefined;
  emit: (batch: OutputBatch) => void;
}

interface Pending {
  from: number;
  to: number;
  timer: NodeJS.Timeout;
  /** Only an incomplete UTF-8 tail is left: the next timer sends it as is. */
  heldTail: boolean;
}

/**
 * Turns a session's output into few webhook deliveries: byte ranges collect
 * until `batchMs` passed or `batchBytes` are waiting, then the bytes are read
 * back from the session's output log (the source of truth, so nothing is
 * copied while waiting). A character split across a batch boundary is held
 * back for the next batch, so every batch's `text` is valid UTF-8 when the
 * program's output is.
 */
export class OutputBatcher {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly opts: OutputBatcherOptions) {}

  add(sessionId: string, offset: number, bytes: number): void {
    let p = this.pending.get(sessionId);
    if (!p) {
      p = { from: offset, to: offset, heldTail: false, timer: this.arm(sessionId) };
      this.pending.set(sessionId, p);
    }
    p.to = Math.max(p.to, offset + bytes);
    p.heldTail = false;
    if (p.to - p.from >= this.opts.batchBytes) this.flush(sessionId, false);
  }

  /** Sends what waits for a session; `final` sends an incomplete character too (before another event, at exit). */
  flush(sessionId: string, final: boolean): void {
    const p = this.pending.get(sessionId);
    if (!p) return;
    clearTimeout(p.timer);
    let from = p.from;
    while (from < p.to) {
      const got = this.opts.read(sessionId, from, Math.min(this.opts.batchBytes, p.to - from));
      if (!got || got.data.length === 0) {
        from = p.to;
        break;
      }
      const atTail = got.offset + got.data.length >= p.to;
      let cut = completeUtf8Length(got.data);
      if (cut === 0 || (final && atTail)) cut = got.data.length;
      if (atTail && cut < got.data.length && !final) {
        if (cut > 0) this.opts.emit({ sessionId, offset: got.offset, bytes: cut, text: got.data.subarray(0, cut).toString('utf8'), skipped: got.offset - from });
        from = got.offset + cut;
        break;
      }
      this.opts.emit({ sessionId, offset: got.offset, bytes: cut, text: got.data.subarray(0, cut).toString('utf8'), skipped: got.offset - from });
      from = got.offset + cut;
    }
    if (from < p.to) {
      p.from = from;
      p.heldTail = true;
      p.timer = this.arm(sessionId);
    } else {
      this.pending.delete(sessionId);
    }
  }

  flushAll(): void {
    for (const sessionId of [...this.pending.keys()]) this.flush(sessionId, true);
  }

  dispose(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private arm(sessionId: string): NodeJS.Timeout {
    return setTimeout(() => this.flush(sessionId, this.pending.get(sessionId)?.heldTail ?? false), this.opts.batchMs);
  }
}

/** Length of the longest prefix that does not end inside a UTF-8 sequence. */
export function completeUtf8Length(buf: Buffer): number {
  const len = buf.length;
  for (let i = len - 1; i >= 0 && i >= len - 4; i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 1;
    return i + need > len ? i : len;
  }
  return len;
}
