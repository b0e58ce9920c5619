/** An unfinished CSI longer than this is dropped whole: no terminal acts on one (xterm.js caps parameters far below). */
export const MAX_CSI_BYTES = 512;

const ESC = 0x1b;

/** Final bytes of CSI queries (see classifyCsi): a CSI ending in another passes without a closer look. */
const QUERY_FINALS = new Set([...'nctpquxywSm'].map((c) => c.charCodeAt(0)));
const isContinuation = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;

/**
 * End of the run from `i` that passes unchanged in ground state. The fast
 * path of OutputFilter.push: the state machine sees only what is left.
 */
export function passingRunEnd(chunk: Uint8Array, i: number): number {
  const n = chunk.length;
  let j = i;
  while (j < n) {
    const b = chunk[j]!;
    if (b < 0x80) {
      if (b !== ESC) {
        j++;
        continue;
      }
      if (chunk[j + 1] !== 0x5b) return j;
      let k = j + 2;
      while (k < n && chunk[k]! >= 0x20 && chunk[k]! <= 0x3f) k++;
      const final = chunk[k];
      if (final === undefined || final < 0x40 || final > 0x7e || k - j >= MAX_CSI_BYTES) return j;
      if (QUERY_FINALS.has(final) && !(final === 0x6d && chunk[j + 2] !== 0x3f)) return j;
      j = k + 1;
      continue;
    }
    // Whole, valid UTF-8 characters (the shortest form, no surrogates), but not C1 controls (C2 80–9F).
    if (b >= 0xc2 && b <= 0xdf) {
      const c = chunk[j + 1];
      if (!isContinuation(c) || (b === 0xc2 && c! <= 0x9f)) return j;
      j += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      const c = chunk[j + 1];
      if (!isContinuation(c) || !isContinuation(chunk[j + 2]) || (b === 0xe0 && c! < 0xa0) || (b === 0xed && c! > 0x9f)) return j;
      j += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const c = chunk[j + 1];
      if (!isContinuation(c) || !isContinuation(chunk[j + 2]) || !isContinuation(chunk[j + 3]) || (b === 0xf0 && c! < 0x90) || (b === 0xf4 && c! > 0x8f)) return j;
      j += 4;
    } else return j;
  }
  return j;
}
