import { StringDecoder } from 'node:string_decoder';

const enum State {
  Text,
  Escape,
  /** ESC followed by intermediate bytes, e.g. `ESC ( B`. */
  EscapeIntermediate,
  Csi,
  /** OSC, DCS, SOS, PM, APC: everything up to BEL or ST. */
  String,
  StringEscape,
}

/** Control characters and C1 codes: everything the fast path must stop at. */
const SPECIAL = /[\x00-\x1f\x7f-\x9f]/g;
/** A control string longer than this is taken as garbage, not swallowed forever. */
const MAX_CONTROL_STRING_CHARS = 1024 * 1024;

/**
 * Turns a terminal output stream into plain text, chunk by chunk: escape
 * sequences (CSI, OSC, DCS, …) and control characters are removed, and line
 * endings normalised — CR LF (and CR CR LF) become LF, and a lone CR, which
 * on a terminal returns to the start of the line to overwrite it (progress
 * bars), also becomes LF so no text is lost. Sequences and UTF-8 characters
 * split across chunks are handled.
 */
export class TerminalTextDecoder {
  private readonly utf8 = new StringDecoder('utf8');
  private state = State.Text;
  private pendingCr = false;
  private stringLength = 0;

  write(chunk: Buffer): string {
    return this.decode(this.utf8.write(chunk));
  }

  /** The text still held back at the end of the stream. */
  end(): string {
    const text = this.decode(this.utf8.end());
    if (!this.pendingCr) return text;
    this.pendingCr = false;
    return text + '\n';
  }

  private decode(input: string): string {
    let out = '';
    let i = 0;
    const n = input.length;
    while (i < n) {
      if (this.state === State.Text) {
        SPECIAL.lastIndex = i;
        const match = SPECIAL.exec(input);
        const stop = match ? match.index : n;
        if (stop > i) {
          if (this.pendingCr) {
            out += '\n';
            this.pendingCr = false;
          }
          out += input.slice(i, stop);
        }
        if (!match) break;
        i = stop + 1;
        out += this.control(input.charCodeAt(stop));
        continue;
      }
      const code = input.charCodeAt(i++);
      switch (this.state) {
        case State.Escape:
          if (code === 0x5b) this.state = State.Csi;
          else if (code === 0x5d || code === 0x50 || code === 0x58 || code === 0x5e || code === 0x5f) this.enterString();
          else if (code >= 0x20 && code <= 0x2f) this.state = State.EscapeIntermediate;
          else if (code === 0x1b) this.state = State.Escape;
          else if (code >= 0x30 && code <= 0x7e) this.state = State.Text;
          else i = this.breakOff(i);
          break;
        case State.EscapeIntermediate:
          if (code >= 0x30 && code <= 0x7e) this.state = State.Text;
          else if (code < 0x20 || code > 0x2f) i = this.breakOff(i);
          break;
        case State.Csi:
          if (code >= 0x40 && code <= 0x7e) this.state = State.Text;
          else if (code < 0x20 || code > 0x3f) i = this.breakOff(i);
          break;
        case State.String:
          if (code === 0x07 || code === 0x9c) this.state = State.Text;
          else if (code === 0x1b) this.state = State.StringEscape;
          else if (++this.stringLength > MAX_CONTROL_STRING_CHARS) this.state = State.Text;
          break;
        case State.StringEscape:
          // ESC \ is the string terminator; any other ESC ends the string and starts a sequence.
          this.state = State.Text;
          if (code !== 0x5c) {
            this.state = State.Escape;
            i--;
          }
          break;
      }
    }
    return out;
  }

  /**
   * A sequence broken off by an unexpected character: what came before is
   * dropped and the character is read again as text. Returns its index.
   */
  private breakOff(next: number): number {
    this.state = State.Text;
    return next - 1;
  }

  private enterString(): void {
    this.state = State.String;
    this.stringLength = 0;
  }

  /** What a control character contributes to the text. */
  private control(code: number): string {
    switch (code) {
      case 0x0a:
        this.pendingCr = false;
        return '\n';
      case 0x0d:
        this.pendingCr = true;
        return '';
      case 0x09: {
        const prefix = this.pendingCr ? '\n' : '';
        this.pendingCr = false;
        return prefix + '\t';
      }
      case 0x1b:
        this.state = State.Escape;
        return '';
      case 0x9b:
        this.state = State.Csi;
        return '';
      case 0x90:
      case 0x98:
      case 0x9d:
      case 0x9e:
      case 0x9f:
        this.enterString();
        return '';
      default:
        return '';
    }
  }
}

/** Whole-buffer convenience for tests and one-shot use. */
export function terminalText(data: Buffer): string {
  const decoder = new TerminalTextDecoder();
  return decoder.write(data) + decoder.end();
}
