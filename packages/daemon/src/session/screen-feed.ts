import type { Terminal } from '@xterm/headless';
import { cutBeforeLines, plainPrefixLength } from './plain-output.js';

/**
 * Longest plain output (plain-output.ts) waits before the terminal parses
 * it. Nothing reads a screen but its questions, and each one hands what is
 * held over first (flush), so holding changes no answer; it only lets a
 * flood pile up into runs long enough to skip.
 */
const PLAIN_HOLD_MS = 25;
/** Most bytes held before they go to the terminal whatever they are and however busy it is. */
const MAX_HELD_BYTES = 8 * 1024 * 1024;
const CR = Uint8Array.of(0x0d);

/**
 * Feeds a session's output to its headless terminal, leaving out the lines
 * of a flood that would scroll out before anyone could see them.
 *
 * Parsing every byte is most of what a `cat` of a large file costs the
 * daemon (xterm ~20–30 ms per MB), though only the last screen and its
 * scrollback survive. When a held run of plain output has more line feeds
 * after some CR than the screen and scrollback hold twice over (lines),
 * everything up to that CR is dropped and a CR put in its place: plain bytes
 * change no mode, colour, title or tab stop, the CR puts the cursor in the
 * column it would have been in, and the lines that follow push every line
 * the dropped part could have touched out of the buffer (the cursor reaches
 * the bottom within `rows` of them, and each later one scrolls a fresh line
 * in). That holds only while the terminal is between sequences (the parser
 * at rest, nothing of ours unparsed) and its scroll region is the whole
 * screen; otherwise, and for anything not plain, every byte is parsed.
 * test/unit/screen-feed.test.ts checks the screens match byte for byte.
 */
export class ScreenFeed {
  /** Output bytes never parsed (their lines scrolled out): a figure for tests. */
  skippedBytes = 0;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  /** How many of the held bytes, from the first, are plain. */
  private heldPlain = 0;
  /** Our writes the terminal has not finished parsing. */
  private parsing = 0;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly terminal: Terminal,
    /** The terminal refused output (past xterm's 50 MB backlog); ok: it took output after refusing some. */
    private readonly onWriteResult: (error: unknown) => void,
  ) {}

  write(data: Uint8Array): void {
    if (this.disposed || data.length === 0) return;
    const allPlainSoFar = this.heldPlain === this.heldBytes;
    this.held.push(data);
    this.heldBytes += data.length;
    if (allPlainSoFar) this.heldPlain += plainPrefixLength(data);
    // Past the bound it goes to the terminal even while it parses: memory stays bounded by xterm's own backlog limit, as before the feed.
    if (this.heldBytes >= MAX_HELD_BYTES) return this.handOver();
    if (this.parsing > 0) return; // handed over when the terminal is done with ours
    this.handOverSoon();
  }

  /** Hands everything held to the terminal: before a question, a resize, or the end. */
  flush(): void {
    this.handOver();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.held = [];
    this.heldBytes = this.heldPlain = 0;
  }

  private handOver(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.heldBytes === 0) return;
    const held = this.held;
    const plain = this.heldPlain;
    const total = this.heldBytes;
    this.held = [];
    this.heldBytes = this.heldPlain = 0;
    const lines = this.parsing === 0 && plain > 0 ? linesThatRefill(this.terminal) : undefined;
    const cut = lines === undefined ? 0 : cutBeforeLines(held, plain, lines);
    this.skippedBytes += cut;
    // Only what is kept is copied: the chunks after the cut, behind the CR that stands for the rest.
    const data = cut > 0 ? Buffer.concat([CR, ...tailFrom(held, cut)], 1 + total - cut) : held.length === 1 ? held[0]! : Buffer.concat(held, total);
    this.parsing++;
    try {
      this.terminal.write(data, () => this.parsed());
      this.onWriteResult(undefined);
    } catch (error) {
      this.parsing--;
      this.onWriteResult(error);
    }
  }

  private parsed(): void {
    this.parsing--;
    if (this.parsing > 0 || this.heldBytes === 0 || this.disposed) return;
    this.handOverSoon();
  }

  /** Anything not plain goes to the terminal now; plain output waits up to PLAIN_HOLD_MS for more to pile up. */
  private handOverSoon(): void {
    if (this.heldPlain < this.heldBytes) this.handOver();
    else this.timer ??= setTimeout(() => this.handOver(), PLAIN_HOLD_MS);
  }
}

/** The chunks from byte `offset` of all of them on (the first one cut). */
function tailFrom(chunks: readonly Uint8Array[], offset: number): Uint8Array[] {
  let start = 0;
  for (let c = 0; c < chunks.length; c++) {
    const end = start + chunks[c]!.length;
    if (offset < end) return [chunks[c]!.subarray(offset - start), ...chunks.slice(c + 1)];
    start = end;
  }
  return [];
}

/** The parts of xterm's core read here (not its public API; @xterm/headless 6). */
interface TerminalCore {
  _inputHandler?: { _parser?: { currentState?: unknown } };
  buffer?: { scrollTop?: unknown; scrollBottom?: unknown };
}
/** The escape-sequence parser's state between sequences (xterm's ParserState.GROUND). */
const PARSER_GROUND = 0;

/**
 * Line feeds after which nothing before them is left in the terminal's
 * buffer (twice the rows, the scrollback, one more), or undefined when its
 * state lets nothing be skipped: inside a sequence or a string, or with a
 * scroll region (lines outside it never scroll). Also undefined if xterm's
 * internals are not where this looks: then every byte is parsed.
 */
export function linesThatRefill(terminal: Terminal): number | undefined {
  const core = (terminal as unknown as { _core?: TerminalCore })._core;
  if (core?._inputHandler?._parser?.currentState !== PARSER_GROUND) return undefined;
  if (core.buffer?.scrollTop !== 0 || core.buffer.scrollBottom !== terminal.rows - 1) return undefined;
  const scrollback = terminal.buffer.active.type === 'normal' ? (terminal.options.scrollback ?? 0) : 0;
  return 2 * terminal.rows + scrollback + 1;
}
