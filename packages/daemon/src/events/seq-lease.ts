import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../store/atomic-file.js';

/** Seqs reserved on disk at a time: one small write per this many events. */
export const SEQ_LEASE_BLOCK = 65_536;

/**
 * The highest seq this daemon may hand out, kept on disk. Live-only events
 * (`session-output`) take seqs that the events log never records, so after
 * a kill -9 the next daemon, numbering on from the log's last seq, would
 * hand the same seqs out again — and a follower resuming from one of them
 * would skip the new events that reused them. The lease is written before
 * any seq above it is given, and the next daemon starts above it.
 */
export class SeqLease {
  private reservedUpTo: number;

  constructor(private readonly file: string) {
    this.reservedUpTo = readLease(file);
  }

  /** Where a daemon starting now may number from: above everything a dead one could have handed out. */
  get floor(): number {
    return this.reservedUpTo;
  }

  /** Makes sure `seq` is covered by the lease on disk; a failed write is thrown (the seq is not used). */
  cover(seq: number): void {
    if (seq <= this.reservedUpTo) return;
    const next = seq + SEQ_LEASE_BLOCK;
    writeFileAtomic(this.file, `${next}\n`);
    this.reservedUpTo = next;
  }
}

function readLease(file: string): number {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}
