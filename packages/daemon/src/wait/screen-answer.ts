/**
 * What a TUI drew since a mark, read from its rendered screen and scrollback
 * (as text) rather than from the output's text lines: a program that draws
 * with cursor moves (Claude Code) leaves most of its answers out of the
 * line-based text. As coder/agentapi does (lib/screentracker/diff.go,
 * lib/msgfmt): compare the screen before with the screens since, keep what
 * is new, take off the echo of what was sent, the input box, and the
 * program's own decoration (chrome lines, message marks).
 */

/** The echo is looked for this many lines into the new part (a blank line or two come first). */
const ECHO_SEARCH_LINES = 6;
/** Non-blank characters of the sent text that must be found in a row to count as its echo. */
const ECHO_PREFIX_CHARS = 6;
/** Lines of a new screen that must match the transcript to count as the same history (blank lines do not count). */
const MIN_OVERLAP_LINES = 2;
/** Lines at the top of a new screen that may differ from the transcript and still let the rest match (an animated logo). */
const MAX_SKIPPED_LINES = 4;
/** Transcript kept per wait, in lines (about what MAX_WAIT_TEXT_CHARS holds): older lines leave its top. */
const MAX_TRANSCRIPT_LINES = 10_000;

/** The parts of a preset that say how to read its screen, compiled. */
export interface ScreenReading {
  inputBox?: RegExp;
  chrome?: RegExp;
  messageMark?: RegExp;
}

/**
 * The text a TUI drew since a mark, rebuilt from its screens. Claude Code
 * redraws its whole screen and keeps nothing in the scrollback: what leaves
 * the top is gone from the screen, so one "before" and one "now" (agentapi's
 * diff) loses the start of an answer longer than the screen. So each screen
 * seen is laid over the transcript so far where its top lines match the
 * transcript's, and what lies below replaces the transcript's tail.
 */
export class DrawnTranscript {
  private lines: string[];
  /** Lines of `lines` that were already there at the mark (what was above the input box then). */
  private oldLines: number;

  constructor(before: string, private readonly reading: ScreenReading) {
    this.lines = splitLines(before);
    this.oldLines = dropInputBox(this.lines, reading.inputBox).length;
  }

  /** Lays a new screen (text with scrollback) over the transcript. */
  update(now: string): void {
    // Blank rows at the top of a screen are filler: they stand for nothing in the transcript.
    const screen = trimBlankLines(splitLines(now), 'start');
    const { at, skip, matched } = overlay(this.lines, screen, this.oldLines);
    // The screen redrew old lines differently (a spinner turned into a timing line): those are new now.
    if (at < this.oldLines) this.oldLines = Math.min(this.oldLines, at + matched);
    // No overlap (all of it redrawn, or scrolled past in one go): the old input box is not history.
    const kept = at === this.lines.length ? dropInputBox(this.lines, this.reading.inputBox) : this.lines.slice(0, at);
    if (at === this.lines.length) this.oldLines = Math.min(this.oldLines, kept.length);
    this.lines = kept.concat(screen.slice(skip));
    const excess = this.lines.length - MAX_TRANSCRIPT_LINES;
    if (excess > 0) {
      this.lines = this.lines.slice(excess);
      this.oldLines = Math.max(0, this.oldLines - excess);
    }
  }

  /**
   * What was drawn since the mark, without the input box and the echo of `sent`: what `wait --until` is
   * matched against. The box goes first: while the sent text still sits in it (not taken yet), taking the
   * echo off first would take the box's top with it and leave its bottom rule and footer as an "answer".
   */
  drawn(sent: string | undefined): string {
    return trimBlankLines(dropEcho(dropInputBox(this.lines.slice(this.oldLines), this.reading.inputBox), sent)).join('\n');
  }
}

/**
 * Where `screen` goes over `lines`: the transcript line `at` where the
 * screen's line `skip` lies (the lines above it were redrawn differently:
 * an animated logo) and the run of lines that match from there (`matched`);
 * the run that reaches the end of what was there before (`stableEnd`)
 * wins, then the longest, then the least skipped. No run of at least
 * MIN_OVERLAP_LINES non-blank lines: the screen is all new (cleared and
 * redrawn) and goes after the transcript.
 */
export function overlay(lines: string[], screen: string[], stableEnd = lines.length): { at: number; skip: number; matched: number } {
  let best = { at: lines.length, skip: 0, matched: 0, score: -1 };
  for (let skip = 0; skip < Math.min(screen.length, MAX_SKIPPED_LINES + 1); skip++) {
    for (let at = 0; at < lines.length; at++) {
      let n = 0;
      let significant = 0;
      while (at + n < lines.length && skip + n < screen.length && lines[at + n] === screen[skip + n]) {
        if (screen[skip + n]!.trim() !== '') significant++;
        n++;
      }
      if (significant < MIN_OVERLAP_LINES) continue;
      // Reaching the end of the stable part is what a redraw of the same history does.
      const score = (at + n >= Math.min(stableEnd, lines.length) ? 1_000_000 : 0) + significant * 16 - skip;
      if (score > best.score) best = { at, skip, matched: n, score };
    }
  }
  return { at: best.at, skip: best.skip, matched: best.matched };
}

/**
 * Drops the echo of `sent` from the top of `lines`: the program shows what
 * was typed, wrapped and prefixed as it likes (`❯ say hi`), so it is
 * matched ignoring blanks, from where the sent text's first characters
 * appear in the first few lines to the line its last matching character is on.
 */
export function dropEcho(lines: string[], sent: string | undefined): string[] {
  const want = [...(sent ?? '').replace(/\s+/g, '')];
  if (want.length === 0) return lines;
  const prefix = want.slice(0, ECHO_PREFIX_CHARS).join('');
  for (let start = 0; start < Math.min(lines.length, ECHO_SEARCH_LINES); start++) {
    const at = lines[start]!.replace(/\s+/g, '').indexOf(prefix);
    if (at < 0) continue;
    let line = start;
    let chars = [...lines[start]!.replace(/\s+/g, '')].slice(at);
    let matched = 0;
    let lastLine = start;
    while (matched < want.length) {
      if (chars.length === 0) {
        if (++line >= lines.length) break;
        chars = [...lines[line]!.replace(/\s+/g, '')];
        // A blank line inside the echo is kept going through; one that ends it is not consumed.
        continue;
      }
      if (chars[0] !== want[matched]) break;
      chars.shift();
      matched++;
      lastLine = line;
    }
    return lines.slice(lastLine + 1);
  }
  // Its start scrolled away before a screen showed it: its lines left at the top are each a piece of the sent text.
  const whole = want.join('');
  let end = 0;
  while (end < lines.length) {
    const piece = lines[end]!.replace(/\s+/g, '');
    if (piece === '' || !whole.includes(piece)) break;
    end++;
  }
  return lines.slice(end);
}

/** Everything from the last input box down (the box, what is typed in it, the footer) is not what the program said. */
export function dropInputBox(lines: string[], inputBox: RegExp | undefined): string[] {
  if (!inputBox) return lines;
  const text = lines.join('\n');
  const last = lastInputBox(text, inputBox);
  if (last < 0) return lines;
  // The match starts a line (the box's top rule): the lines above it are kept.
  const above = text.slice(0, last);
  return above === '' ? [] : above.replace(/\n$/, '').split('\n');
}

/** Where the last input box starts in `text` (its top rule's line), or -1 when none is drawn. */
export function lastInputBox(text: string, inputBox: RegExp): number {
  const re = new RegExp(inputBox.source, inputBox.flags.includes('g') ? inputBox.flags : `${inputBox.flags}g`);
  let last = -1;
  for (const m of text.matchAll(re)) last = m.index;
  return last;
}

/**
 * The answer in what was drawn (see drawnSince): without the program's
 * chrome lines and without the mark of its messages and their indent, so
 * that `say ANSWER 108` comes back as `ANSWER 108`.
 */
export function screenAnswer(drawn: string, reading: ScreenReading): string {
  const out: string[] = [];
  let indent = 0;
  for (const line of splitLines(drawn)) {
    // Chrome (a spinner under a message, the effort line) is dropped without ending the message it sits in.
    if (reading.chrome?.test(line)) continue;
    const mark = reading.messageMark?.exec(line);
    if (mark && mark.index === 0) {
      indent = mark[0].length;
      out.push(line.slice(indent));
      continue;
    }
    // Lines under a message are indented to its text; a line that is not ends the message.
    if (indent > 0 && line.length > 0 && !line.startsWith(' '.repeat(indent))) indent = 0;
    out.push(indent > 0 ? line.slice(indent) : line);
  }
  return trimBlankLines(out.map((l) => l.trimEnd())).join('\n');
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

function trimBlankLines(lines: string[], ends: 'both' | 'start' = 'both'): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === '') start++;
  while (ends === 'both' && end > start && lines[end - 1]!.trim() === '') end--;
  return lines.slice(start, end);
}
