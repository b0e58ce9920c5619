import type { AttachAllowKind } from '@ccx/shared';
import { ByteSink } from './byte-sink.js';
import { MAX_CSI_BYTES, passingRunEnd } from './passing-run.js';
import { classifyCsi, classifyDcs, classifyOsc, type Fate } from './sequence-rules.js';

/** A string (OSC, DCS) not yet judged is held up to this; past it, it is dropped. Colour sequences are held whole to see a query in them. */
const MAX_UNDECIDED_STRING_BYTES = 4096;

const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
const DEL = 0x7f;
const BACKSLASH = 0x5c;
/** C1 controls, as one code point (U+0080–U+009F, or a stray raw byte). */
const C1_DCS = 0x90;
const C1_SOS = 0x98;
const C1_DECID = 0x9a;
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
const C1_OSC = 0x9d;
const C1_PM = 0x9e;
const C1_APC = 0x9f;
const REPLACEMENT = Buffer.from('\ufffd', 'utf8');

type StringKind = 'osc' | 'dcs' | 'other';
type Mode = 'ground' | 'esc' | 'csi' | 'string';

/**
 * Filters a program's output on its way to an attached terminal, as tmux
 * does: what would act on the person attached rather than draw (clipboard
 * writes, passthrough strings, palette and font changes, titles) is dropped
 * unless allowed, and terminal queries are always dropped — the daemon
 * answers them for the program (screen-replies.ts), so the attached
 * terminals must not answer as well.
 *
 * A streaming parser after the VT500 state machine: a sequence may be split
 * anywhere between chunks; strings end at ST (ESC \ or C1 0x9c) or, for
 * OSC, BEL; CAN and SUB abort, as does an ESC that does not start ST. Input
 * is decoded as UTF-8, since the terminal decodes it so: C1 controls count
 * as U+0080–U+009F (C2 80–C2 9F) and as stray raw bytes 0x80–0x9F, and
 * bytes that are not UTF-8 become U+FFFD. So the terminal sees exactly what
 * the filter understood, and nothing can pass as text that a terminal would
 * read as a control. Sequences that pass are passed byte for byte.
 */
export class OutputFilter {
  private mode: Mode = 'ground';
  /** Bytes of the sequence being parsed and not yet passed or dropped. */
  private held: number[] = [];
  /** CSI: longer than MAX_CSI_BYTES, dropped when it ends. */
  private overflow = false;
  private stringKind: StringKind = 'osc';
  /** Bytes of `held` that introduce the CSI or string (ESC ] is 2; C1 OSC is 1 raw, 2 in UTF-8). */
  private introLength = 0;
  private fate: Fate = 'undecided';
  /** The byte before was ESC inside a string: ST if a backslash follows, else the string is aborted. */
  private stringEsc = false;
  /** A UTF-8 sequence split across chunks: its bytes so far, and how many more it needs. */
  private utf8: number[] = [];
  private utf8Need = 0;
  private utf8Low = 0x80;
  private utf8High = 0xbf;

  constructor(private readonly allow: ReadonlySet<AttachAllowKind>) {}

  /** The part of `chunk` (with what earlier chunks left unfinished) that may reach the terminal now. */
  push(chunk: Uint8Array): Buffer {
    const out = new ByteSink(chunk.length + 16);
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.mode === 'ground' && this.utf8Need === 0) {
        // What surely passes goes out as it is, one copy per run: text, C0
        // controls other than ESC, whole UTF-8 characters that are not C1,
        // and whole CSIs whose final byte no query uses (SGR, cursor moves).
        const j = passingRunEnd(chunk, i);
        if (j > i) {
          out.append(chunk, i, j);
          i = j;
          continue;
        }
      }
      this.byte(chunk[i++]!, out);
    }
    return out.take();
  }

  /** Decodes UTF-8 and hands each code point (with its bytes) to the state machine. */
  private byte(b: number, out: ByteSink): void {
    if (this.utf8Need > 0) {
      if (b >= this.utf8Low && b <= this.utf8High) {
        this.utf8.push(b);
        this.utf8Low = 0x80;
        this.utf8High = 0xbf;
        if (--this.utf8Need > 0) return;
        const bytes = this.utf8;
        this.utf8 = [];
        const cp = decode(bytes);
        this.unit(cp, bytes, out);
        return;
      }
      // Cut short: the bytes so far are one invalid character, and this byte starts afresh.
      this.utf8 = [];
      this.utf8Need = 0;
      this.unit(-1, [], out);
    }
    if (b < 0x80) return this.unit(b, [b], out);
    if (b >= 0xc2 && b <= 0xf4) {
      this.utf8 = [b];
      this.utf8Need = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
      this.utf8Low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
      this.utf8High = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      return;
    }
    // A stray byte 0x80–0x9F is a C1 control to a terminal in 8-bit mode: treated as one. Anything else is not UTF-8.
    if (b <= 0x9f) return this.unit(b, [b], out);
    this.unit(-1, [], out);
  }

  /** One code point: `cp` -1 is an invalid byte sequence (U+FFFD to the terminal). */
  private unit(cp: number, bytes: number[], out: ByteSink): void {
    switch (this.mode) {
      case 'ground':
        return this.ground(cp, bytes, out);
      case 'esc':
        return this.escape(cp, bytes, out);
      case 'csi':
        return this.csi(cp, bytes, out);
      case 'string':
        return this.string(cp, bytes, out);
    }
  }

  private ground(cp: number, bytes: number[], out: ByteSink): void {
    if (cp === ESC) {
      this.mode = 'esc';
      this.held = [ESC];
      return;
    }
    if (cp >= 0x80 && cp <= 0x9f) return this.c1(cp, bytes, out);
    if (cp < 0) out.append(REPLACEMENT, 0, REPLACEMENT.length);
    else out.bytes(bytes);
  }

  /** A C1 control in ground state: the 8-bit forms of CSI, OSC, DCS and the other strings start those. */
  private c1(cp: number, bytes: number[], out: ByteSink): void {
    switch (cp) {
      case C1_CSI:
        this.startCsi(bytes);
        return;
      case C1_OSC:
        this.startString('osc', bytes, out);
        return;
      case C1_DCS:
        this.startString('dcs', bytes, out);
        return;
      case C1_SOS:
      case C1_PM:
      case C1_APC:
        this.startString('other', bytes, out);
        return;
      case C1_DECID: // asks for the terminal's attributes, as DA does
      case C1_ST: // ends nothing here
        return;
      default:
        out.bytes(bytes);
    }
  }

  private escape(cp: number, bytes: number[], out: ByteSink): void {
    if (cp === ESC) {
      this.held = [ESC];
      return;
    }
    if (cp === CAN || cp === SUB) return this.abort(bytes, out);
    // C0 controls are executed in the middle of an escape sequence: they go out at once.
    if (cp >= 0 && cp < 0x20) return out.bytes(bytes);
    if (cp === DEL) return;
    if (cp >= 0x20 && cp <= 0x2f) {
      this.held.push(cp);
      return;
    }
    if (cp >= 0x30 && cp <= 0x7e) {
      const plain = this.held.length === 1;
      if (plain && cp === 0x5b) return this.startCsi([...this.held, cp]); // ESC [
      if (plain && cp === 0x5d) return this.startString('osc', [...this.held, cp], out); // ESC ]
      if (plain && cp === 0x50) return this.startString('dcs', [...this.held, cp], out); // ESC P
      if (plain && (cp === 0x58 || cp === 0x5e || cp === 0x5f)) return this.startString('other', [...this.held, cp], out); // ESC X, ^, _
      const held = this.held;
      this.toGround();
      // ESC Z (DECID) asks for the terminal's attributes: a query.
      if (plain && cp === 0x5a) return;
      out.bytes(held);
      out.bytes(bytes);
      return;
    }
    // Not part of an escape sequence (text, C1): the escape is abandoned, as a terminal does.
    this.toGround();
    this.ground(cp, bytes, out);
  }

  private startCsi(bytes: number[]): void {
    this.mode = 'csi';
    this.held = bytes;
    this.introLength = bytes.length;
    this.overflow = false;
  }

  private csi(cp: number, bytes: number[], out: ByteSink): void {
    if (cp >= 0x20 && cp <= 0x3f) {
      if (this.held.length >= MAX_CSI_BYTES) this.overflow = true;
      else this.held.push(cp);
      return;
    }
    if (cp >= 0x40 && cp <= 0x7e) {
      const held = this.held;
      const dropped = this.overflow || classifyCsi(held.slice(this.introLength), cp) === 'drop';
      this.toGround();
      if (dropped) return;
      out.bytes(held);
      out.bytes(bytes);
      return;
    }
    if (cp === ESC) {
      this.mode = 'esc';
      this.held = [ESC];
      return;
    }
    if (cp === CAN || cp === SUB) return this.abort(bytes, out);
    if (cp >= 0 && cp < 0x20) return out.bytes(bytes);
    if (cp === DEL) return;
    this.toGround();
    this.ground(cp, bytes, out);
  }

  private startString(kind: StringKind, bytes: number[], out: ByteSink): void {
    this.mode = 'string';
    this.stringKind = kind;
    this.held = bytes;
    this.introLength = bytes.length;
    this.stringEsc = false;
    this.fate = kind === 'other' ? (this.allow.has('passthrough') ? 'pass' : 'drop') : 'undecided';
    if (this.fate !== 'undecided') this.settle(this.fate, out);
  }

  private string(cp: number, bytes: number[], out: ByteSink): void {
    if (this.stringEsc) {
      this.stringEsc = false;
      if (cp === BACKSLASH) return this.endString([ESC, BACKSLASH], out);
      // In a DCS, ESC ESC is an escaped ESC (tmux-style passthrough wraps whole sequences so): data, not an abort.
      if (cp === ESC && this.stringKind === 'dcs') return this.data([ESC, ESC], out);
      // ESC then anything but a backslash: the string is aborted and a new escape sequence begins.
      this.toGround();
      this.mode = 'esc';
      this.held = [ESC];
      this.escape(cp, bytes, out);
      return;
    }
    if (cp === ESC) {
      this.stringEsc = true;
      return;
    }
    if ((cp === BEL && this.stringKind === 'osc') || cp === C1_ST) return this.endString(bytes, out);
    if (cp === CAN || cp === SUB) return this.abort(bytes, out);
    if (cp >= 0x80 && cp <= 0x9f) {
      // Another C1 control aborts the string and starts what it starts.
      this.toGround();
      this.ground(cp, bytes, out);
      return;
    }
    this.data(cp < 0 ? [...REPLACEMENT] : bytes, out);
  }

  /** Payload bytes of a string: passed, dropped, or held until its fate is known. */
  private data(data: number[], out: ByteSink): void {
    if (this.fate === 'pass') return out.bytes(data);
    if (this.fate === 'drop') return;
    for (const b of data) this.held.push(b);
    if (this.held.length > MAX_UNDECIDED_STRING_BYTES) return this.settle('drop', out);
    const fate = this.judge(false);
    if (fate !== 'undecided') this.settle(fate, out);
  }

  /** The string's payload so far decides its fate, or not yet (`complete`: it just ended). */
  private judge(complete: boolean): Fate {
    const payload = this.held.slice(this.introLength);
    return this.stringKind === 'osc' ? classifyOsc(payload, complete, this.allow) : classifyDcs(payload, complete, this.allow);
  }

  private settle(fate: 'pass' | 'drop', out: ByteSink): void {
    this.fate = fate;
    if (fate === 'pass') out.bytes(this.held);
    this.held = [];
  }

  private endString(terminator: number[], out: ByteSink): void {
    let fate = this.fate;
    if (fate === 'undecided') fate = this.judge(true) === 'pass' ? 'pass' : 'drop';
    if (fate === 'pass') {
      out.bytes(this.held);
      out.bytes(terminator);
    }
    this.toGround();
  }

  /** CAN or SUB: whatever was being parsed is abandoned; the control itself is harmless. */
  private abort(bytes: number[], out: ByteSink): void {
    this.toGround();
    out.bytes(bytes);
  }

  private toGround(): void {
    this.mode = 'ground';
    this.held = [];
    this.overflow = false;
    this.fate = 'undecided';
    this.stringEsc = false;
  }
}

/** The code point of a complete, valid UTF-8 sequence of 2–4 bytes. */
function decode(bytes: number[]): number {
  const [a, b = 0, c = 0, d = 0] = bytes;
  if (bytes.length === 2) return ((a! & 0x1f) << 6) | (b & 0x3f);
  if (bytes.length === 3) return ((a! & 0x0f) << 12) | ((b & 0x3f) << 6) | (c & 0x3f);
  return ((a! & 0x07) << 18) | ((b & 0x3f) << 12) | ((c & 0x3f) << 6) | (d & 0x3f);
}
