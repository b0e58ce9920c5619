/**
 * Turns terminal output into the plain text a person would read: escape
 * sequences removed, and the in-line editing a line editor does (carriage
 * return, backspace, erase-in-line, cursor left/right) applied to the current
 * line, so readline's redraws do not come out doubled. Full-screen cursor
 * addressing is ignored: for TUIs, read the rendered screen instead.
 *
 * Streaming: `push` takes output chunks as they come (a UTF-8 character or an
 * escape sequence may be split between chunks) and returns the lines it
 * completed; the line still being written is `partial`.
 */
/** Longest unterminated escape sequence kept across chunks (OSC titles are the longest real ones). */
const MAX_PENDING_ESCAPE_CHARS = 4096;

export class PlainText {
  private readonly decoder = new TextDecoder('utf-8');
  /** An escape sequence cut off at the end of the previous chunk. */
  private pendingEscape = '';
  private line = '';
  private col = 0;

  /** Feeds output; returns the text of the lines it completed, each ending in "\n". */
  push(chunk: Uint8Array | string): string {
    const text = this.pendingEscape + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    this.pendingEscape = '';
    let done = '';
    let i = 0;
    while (i < text.length) {
      // Runs of printable text go in whole; only control characters need a look.
      let next = i;
      while (next < text.length && !isControl(text.charCodeAt(next))) next++;
      if (next > i) {
        this.put(text.slice(i, next));
        i = next;
        if (i >= text.length) break;
      }
      const ch = text[i]!;
      if (ch === '\x1b' || ch === '\x9b') {
        const end = escapeEnd(text, i);
        if (end === -1) {
          // An escape that never ends (binary output) would otherwise be kept
          // and re-scanned with every chunk: drop its introducer past a limit.
          if (text.length - i > MAX_PENDING_ESCAPE_CHARS) {
            i++;
            continue;
          }
          this.pendingEscape = text.slice(i);
          break;
        }
        this.applyEscape(text.slice(i, end));
        i = end;
        continue;
      }
      i++;
      if (ch === '\n') {
        done += this.line + '\n';
        this.line = '';
        this.col = 0;
      } else if (ch === '\r') {
        this.col = 0;
      } else if (ch === '\b') {
        if (this.col > 0) this.col--;
      } else if (ch === '\t') {
        this.put(ch);
      }
      // Any other control character (BEL, SO/SI, C1 codes) prints nothing.
    }
    return done;
  }

  /** The line being written (after the last newline), as it looks now. */
  get partial(): string {
    return this.line;
  }

  /** Ends the stream: returns the last, unterminated line (if any). */
  end(): string {
    this.push(this.decoder.decode());
    const rest = this.line;
    this.line = '';
    this.col = 0;
    this.pendingEscape = '';
    return rest;
  }

  /** Writes text at the cursor, over what is there, as a terminal does. */
  private put(run: string): void {
    if (this.col > this.line.length) this.line += ' '.repeat(this.col - this.line.length);
    this.line = this.col === this.line.length ? this.line + run : this.line.slice(0, this.col) + run + this.line.slice(this.col + run.length);
    this.col += run.length;
  }

  private applyEscape(seq: string): void {
    const csi = /^(?:\x1b\[|\x9b)([0-9;?]*)([@A-Za-z])$/.exec(seq);
    if (!csi) return;
    const [, params = '', final] = csi;
    if (params.startsWith('?')) return;
    const n = Math.max(1, Number(params.split(';')[0]) || 1);
    const { line, col } = this;
    switch (final) {
      case 'C':
        this.col += n;
        return;
      case 'D':
        this.col = Math.max(0, col - n);
        return;
      case 'G':
        this.col = n - 1;
        return;
      case 'K': {
        const mode = Number(params) || 0;
        if (mode === 0) this.line = line.slice(0, col);
        else if (mode === 1) this.line = ' '.repeat(Math.min(col + 1, line.length)) + line.slice(col + 1);
        else this.line = '';
        return;
      }
      case 'P':
        this.line = line.slice(0, col) + line.slice(col + n);
        return;
      case '@':
        if (col < line.length) this.line = line.slice(0, col) + ' '.repeat(n) + line.slice(col);
        return;
      case 'X':
        if (col < line.length) this.line = line.slice(0, col) + ' '.repeat(Math.min(n, line.length - col)) + line.slice(col + n);
        return;
    }
  }
}

/** Control characters (C0, DEL, C1): everything that is not plain printable text. */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code < 0xa0);
}

/**
 * Index one past the escape sequence starting at `start`, or -1 when the text
 * ends before the sequence does. Covers CSI, OSC/DCS/SOS/PM/APC strings
 * (ended by BEL or ST) and two- or three-byte ESC sequences.
 */
function escapeEnd(text: string, start: number): number {
  let i = start + 1;
  if (text.charCodeAt(start) === 0x9b) return csiEnd(text, i);
  if (i >= text.length) return -1;
  const kind = text[i]!;
  if (kind === '[') return csiEnd(text, i + 1);
  if (kind === ']' || kind === 'P' || kind === 'X' || kind === '^' || kind === '_') {
    for (i = i + 1; i < text.length; i++) {
      if (text[i] === '\x07') return i + 1;
      if (text[i] === '\x1b') {
        if (i + 1 >= text.length) return -1;
        if (text[i + 1] === '\\') return i + 2;
      }
    }
    return -1;
  }
  // ESC ( B and friends carry one more byte (charset designation).
  if ('()*+-./#%'.includes(kind)) return i + 2 <= text.length ? i + 2 : -1;
  return i + 1;
}

function csiEnd(text: string, i: number): number {
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x40 && code <= 0x7e) return i + 1;
    // A control character inside a CSI aborts it; treat the sequence as ended.
    if (code < 0x20) return i;
  }
  return -1;
}

/** Plain text of a whole piece of terminal output, "\n"-separated. */
export function toPlainText(output: Uint8Array | string): string {
  const plain = new PlainText();
  const done = plain.push(output);
  return done + plain.end();
}
