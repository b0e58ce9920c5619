import { PlainText } from '@ccx/shared';

const NEWLINE = 0x0a;

/**
 * Plain text for `logs` and `run` when they print text, not raw bytes.
 *
 * Live (`logs -f`, `run`): a reader must see what the program wrote as it
 * arrives, a prompt such as `Continue? [y/N] ` included, so the unfinished
 * last line is printed too, not held until its newline. Only what cannot be
 * shown yet is held back: an escape sequence or a UTF-8 character cut off at
 * the end of a chunk. Text on a pipe cannot be taken back, so when the line
 * is later redrawn (carriage return, erase-in-line):
 * - a redraw that keeps what was printed and adds to it prints the addition
 *   (readline's redraws of the echoed command line do this);
 * - a redraw that only erases prints nothing until new text comes;
 * - a redraw that changes what was printed continues on a new line with the
 *   line as it is now: a progress bar prints one line per update seen.
 *
 * Not live (`logs` without -f): each line is printed once it is finished,
 * as it finally looks, and the unfinished last line at the end.
 *
 * After bytes are lost (rotation), text resumes at the next line start: the
 * bytes before the first newline are the tail of a line whose start is gone.
 */
export class LiveText {
  private plain = new PlainText();
  /** What of the current line the reader has been given. */
  private shown = '';
  /** Dropping bytes up to the next newline (after a gap). */
  private skipping = false;

  constructor(private readonly live: boolean) {}

  /** Feeds output; returns the text to print now. */
  push(chunk: Uint8Array): string {
    let data = chunk;
    if (this.skipping) {
      const nl = data.indexOf(NEWLINE);
      if (nl < 0) return '';
      data = data.subarray(nl + 1);
      this.skipping = false;
    }
    const done = this.plain.push(data);
    let out = '';
    if (done) {
      const nl = done.indexOf('\n');
      out += this.bringTo(done.slice(0, nl)) + done.slice(nl);
      this.shown = '';
    }
    if (this.live) out += this.bringTo(this.plain.partial);
    return out;
  }

  /**
   * Bytes before the next chunk are missing: the line being printed is ended
   * and text resumes at the next line start.
   */
  gap(): string {
    const out = this.shown ? '\n' : '';
    this.plain = new PlainText();
    this.shown = '';
    this.skipping = true;
    return out;
  }

  /** Resume only at the next line start: the bytes before it are the tail of a line whose start is gone. */
  skipToLineStart(): void {
    this.skipping = true;
  }

  /** The stream ended: what is left of the unfinished last line. */
  end(): string {
    if (this.skipping) return '';
    return this.bringTo(this.plain.end());
  }

  /** Text that takes the reader from the part of the line already shown to `line`. */
  private bringTo(line: string): string {
    const shown = this.shown;
    if (line.startsWith(shown)) {
      this.shown = line;
      return line.slice(shown.length);
    }
    // Erased back to a part of what is shown: nothing to add until new text comes.
    if (shown.startsWith(line)) return '';
    this.shown = line;
    return '\n' + line;
  }
}
