/**
 * Output that only prints and starts lines: what a `cat` of a text file or a
 * build log is. A terminal fed a long run of it ends up with the same lines
 * whatever the run's beginning held once enough lines follow, which is what
 * lets the screen skip parsing lines that would scroll out (screen-feed.ts).
 */

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/**
 * How many leading bytes of `data` are plain: printable ASCII, TAB, CR, LF,
 * and complete UTF-8 sequences of printable characters. Anything a terminal
 * obeys stops it: every other C0 byte (ESC, BEL, SO/SI…), DEL, and the C1
 * controls, which xterm obeys both as single bytes (0x9B is CSI) and as
 * UTF-8 (C2 9B), and overlong forms that could decode to them. A sequence
 * cut off by the end of `data` ends the plain part before its lead byte, as
 * does a continuation byte at the start (a sequence begun before `data`).
 */
export function plainPrefixLength(data: Uint8Array): number {
  let sequenceStart = 0;
  let need = 0;
  const words = alignedWords(data);
  for (let i = 0; i < data.length; i++) {
    // Four printable ASCII bytes at a time, the bulk of a text flood; any
    // other byte (TAB, CR, LF, UTF-8 included) is looked at on its own below.
    if (need === 0 && words !== undefined && (i & 3) === 0) {
      const w = i >>> 2;
      if (w < words.length && !hasNonPrintableByte(words[w]!)) {
        i += 3;
        continue;
      }
    }
    const b = data[i]!;
    if (need > 0) {
      if (b < 0x80 || b > 0xbf) return sequenceStart; // a broken sequence: the decoder's own business, not plain
      if (i === sequenceStart + 1 && !firstContinuationOk(data[sequenceStart]!, b)) return sequenceStart;
      need--;
      continue;
    }
    if (b < 0x80) {
      if ((b >= 0x20 && b < 0x7f) || b === LF || b === CR || b === TAB) continue;
      return i;
    }
    sequenceStart = i;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i; // a lone continuation byte (0x80–0x9F are C1 controls to xterm), C0/C1 overlong leads, F5–FF
  }
  return need > 0 ? sequenceStart : data.length;
}

/** `data` as 32-bit words when it starts on a 4-byte boundary of its buffer (a word at index w covers bytes 4w to 4w+3). */
function alignedWords(data: Uint8Array): Uint32Array | undefined {
  return data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2) : undefined;
}

/** Whether any byte of the word is below 0x20 or above 0x7E (the bit tricks "hasless" and "hasmore"; the byte order does not matter). */
function hasNonPrintableByte(w: number): boolean {
  return ((((w - 0x20202020) & ~w) | (w + 0x01010101) | w) & 0x80808080) !== 0;
}

/** The second byte of a UTF-8 sequence, where it decides whether the character is a C1 control or an overlong form. */
function firstContinuationOk(lead: number, b: number): boolean {
  if (lead === 0xc2) return b >= 0xa0; // C2 80–9F: U+0080–U+009F, the C1 controls
  if (lead === 0xe0) return b >= 0xa0; // E0 80–9F: overlong
  if (lead === 0xf0) return b >= 0x90; // F0 80–8F: overlong
  if (lead === 0xf4) return b <= 0x8f; // beyond U+10FFFF
  return true;
}

/**
 * Where output held in `chunks` (in order; the first `plainEnd` bytes of
 * them plain, per plainPrefixLength) can be cut so that at least `lines`
 * line feeds follow the cut inside the plain part: just after a CR, the
 * latest such CR, as an offset into all of them. 0 when there is none (too
 * few lines, or no CR: a program printing bare LFs leaves the column where
 * its lines end, so its lines depend on what came before). Reads back from
 * the end of the plain part only as far as it must.
 */
export function cutBeforeLines(chunks: readonly Uint8Array[], plainEnd: number, lines: number): number {
  let feeds = 0;
  let chunkEnd = chunks.reduce((sum, c) => sum + c.length, 0);
  for (let c = chunks.length - 1; c >= 0; c--) {
    const chunk = chunks[c]!;
    const chunkStart = chunkEnd - chunk.length;
    for (let i = Math.min(chunk.length, plainEnd - chunkStart) - 1; i >= 0; i--) {
      const b = chunk[i];
      if (b === LF) feeds++;
      else if (b === CR && feeds >= lines) return chunkStart + i + 1;
    }
    chunkEnd = chunkStart;
  }
  return 0;
}
