import { MAX_OUTPUT_CHUNK_BYTES } from '@ccx/shared';
import type { OutputLog } from './output-log.js';

const NEWLINE = 0x0a;

/**
 * Offset where the last `lines` lines of the log begin (as `tail -n`), never
 * before `from`. A final newline ends the last line rather than starting an
 * empty one. Reads backwards in chunks, so the cost is the tail's size.
 */
export function tailOffset(log: OutputLog, lines: number, from = 0): number {
  const floor = Math.max(from, log.start);
  const end = log.end;
  if (lines <= 0) return end;
  let pos = end;
  let seen = 0;
  let skipFinal = true;
  while (pos > floor) {
    const at = Math.max(floor, pos - MAX_OUTPUT_CHUNK_BYTES);
    const { offset, data } = log.read(at, pos - at);
    // Bytes rotated away mid-scan: the tail starts at what is left.
    if (offset > at || data.length < pos - at) return Math.max(offset, floor);
    for (let i = data.length - 1; i >= 0; i--) {
      if (data[i] !== NEWLINE) {
        skipFinal = false;
        continue;
      }
      if (skipFinal) {
        skipFinal = false;
        continue;
      }
      if (++seen === lines) return at + i + 1;
    }
    pos = at;
  }
  return floor;
}
