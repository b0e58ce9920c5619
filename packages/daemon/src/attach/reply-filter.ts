/**
 * Keeps an attached terminal's replies to queries out of the program's
 * input. The daemon answers every query itself (screen-replies.ts) and the
 * output filter keeps queries from the attached terminals, so a reply that
 * still comes from one — a query in output from before, an unsolicited
 * report, a client of another version — would be a second answer, or
 * worse, text a program made the terminal type (a title or clipboard
 * report).
 *
 * Dropped: CSI reports (cursor position `CSI r;c R` and `CSI ? r;c R`,
 * device attributes `CSI ? … c`, `CSI > … c`, `CSI = … c`, status `CSI … n`,
 * mode reports `CSI … $ y`, window reports `CSI … t`, `CSI ? … u`,
 * `CSI > … m`, `CSI … x`) and every OSC, DCS, APC, PM and SOS string (colour,
 * title, clipboard, DECRQSS, XTVERSION replies). Keys, focus events and
 * mouse reports pass, among them `CSI 1 ; m R` (a modified F3 in xterm's
 * encoding, which a cursor report at row 1, column ≤ 16 resembles: kept as
 * the key).
 *
 * A sequence that ends in a later chunk is held (a long reply may come in
 * two reads); the owner releases what is held with `release()` after
 * REPLY_HOLD_MS, so Alt-[ or Alt-] typed alone arrives a moment late, never
 * lost. A lone ESC at the end of a chunk is the Escape key: never held.
 */
export const REPLY_HOLD_MS = 50;

/** A held sequence longer than this is not a reply being completed: it goes on as typed. */
const MAX_HELD_BYTES = 64 * 1024;

const ESC = 0x1b;
const BEL = 0x07;

export class ReplyFilter {
  private held: Buffer = Buffer.alloc(0);
  /** Raw bytes of an X10 mouse report (`CSI M` + 3 bytes) still to pass as they are. */
  private mouseBytes = 0;

  /** What may go to the program now; an unfinished sequence at the end is held. */
  push(chunk: Buffer): Buffer {
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    const parts: Buffer[] = [];
    let from = 0;
    let i = 0;
    while (i < data.length) {
      if (this.mouseBytes > 0) {
        this.mouseBytes--;
        i++;
        continue;
      }
      if (data[i] !== ESC) {
        i++;
        continue;
      }
      const end = sequenceEnd(data, i);
      if (end === 'incomplete') {
        if (data.length - i > MAX_HELD_BYTES) break;
        parts.push(data.subarray(from, i));
        this.held = Buffer.from(data.subarray(i));
        return Buffer.concat(parts);
      }
      if (end.reply) {
        parts.push(data.subarray(from, i));
        from = end.at;
      } else if (end.mouse) {
        this.mouseBytes = 3;
      }
      i = end.at;
    }
    parts.push(data.subarray(from));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Whether a sequence is held, waiting for its end. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** The held bytes, to forward as typed: their end did not come. */
  release(): Buffer {
    const held = this.held;
    this.held = Buffer.alloc(0);
    return held;
  }
}

type SequenceEnd = 'incomplete' | { at: number; reply: boolean; mouse?: boolean };

/** Where the sequence starting with ESC at `start` ends, and whether it is a reply. */
function sequenceEnd(data: Buffer, start: number): SequenceEnd {
  const kind = data[start + 1];
  // A lone ESC is the Escape key; ESC and a key is Alt-key.
  if (kind === undefined) return { at: start + 1, reply: false };
  if (kind === 0x5b) return csiEnd(data, start);
  // OSC, DCS, SOS, PM, APC: replies to colour, title, clipboard, DECRQSS, XTGETTCAP, XTVERSION, DA3, graphics queries.
  if (kind === 0x5d || kind === 0x50 || kind === 0x58 || kind === 0x5e || kind === 0x5f) {
    for (let i = start + 2; i < data.length; i++) {
      if (data[i] === BEL && kind === 0x5d) return { at: i + 1, reply: true };
      if (data[i] === ESC) {
        if (i + 1 >= data.length) return 'incomplete';
        if (data[i + 1] === 0x5c) return { at: i + 2, reply: true };
      }
    }
    return 'incomplete';
  }
  return { at: start + 1, reply: false };
}

function csiEnd(data: Buffer, start: number): SequenceEnd {
  let i = start + 2;
  while (i < data.length && data[i]! >= 0x20 && data[i]! <= 0x3f) i++;
  if (i >= data.length) return 'incomplete';
  const final = data[i]!;
  // Not a CSI after all (Alt-[ and then a control or text): only the ESC is consumed here.
  if (final < 0x40 || final > 0x7e) return { at: start + 1, reply: false };
  const body = data.subarray(start + 2, i).toString('latin1');
  if (final === 0x4d && body === '') return { at: i + 1, reply: false, mouse: true };
  return { at: i + 1, reply: isReplyCsi(body, String.fromCharCode(final)) };
}

function isReplyCsi(body: string, final: string): boolean {
  const prefix = /^[<=>?]/.test(body) ? body[0] : '';
  const intermediates = body.replace(/[\x30-\x3f]/g, '');
  switch (final) {
    case 'R': {
      if (prefix === '?') return true;
      // xterm's modified F1–F4 are CSI 1 ; m P/Q/R/S: a cursor report at row 1, column ≤ 16 reads the same.
      const [row, col] = body.split(';');
      return !(row === '1' && col !== undefined && Number(col) <= 16) && body.includes(';');
    }
    case 'c':
      return prefix === '?' || prefix === '>' || prefix === '=';
    case 'n':
    case 't':
      return true;
    case 'y':
      return intermediates === '$';
    case 'u':
      return prefix === '?';
    case 'm':
      return prefix === '>';
    case 'x':
      return prefix === '' && intermediates === '';
    default:
      return false;
  }
}
