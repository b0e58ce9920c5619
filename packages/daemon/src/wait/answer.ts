/**
 * How far the echo of sent text has come in the plain text of the new output:
 * `complete` with the index just past the echo's last line break, `partial`
 * while the output so far could still be the start of the echo, `none` once
 * it cannot (the program does not echo, or printed something else).
 */
export type EchoMatch = { state: 'complete'; end: number } | { state: 'partial' } | { state: 'none' };

/** Most redraws of the echo looked through (readline redraws a bracketed paste once). */
const MAX_ECHO_RENDERINGS = 4;

/**
 * Matches the echo of `echo` at the start of `out`, line by line, as
 * terminals and line editors show it:
 * - every line after the first may be preceded by a prompt the program
 *   prints before reading it (`linePrompt`: python's `... ` and `>>> `,
 *   a shell's PS2 `> `); the first line's prompt was there before the mark;
 * - the whole text may be shown again on the same line, after blanks:
 *   readline shows a bracketed paste highlighted, then moves the cursor
 *   back up and redraws it plainly (cursor-up is not applied to plain
 *   text, so the redraw follows the first rendering).
 * `enter` says whether an Enter ended the last line (its echo then ends in
 * a line break too).
 */
export function matchEcho(out: string, echo: string, linePrompt: RegExp | undefined, enter = true): EchoMatch {
  const lines = echo.replace(/\r\n?/g, '\n').split('\n');
  const prompt = linePrompt ? new RegExp(linePrompt.source.replace(/^\^/, ''), 'y') : undefined;
  let p = 0;
  for (let rendering = 0; rendering < MAX_ECHO_RENDERINGS; rendering++) {
    for (let i = 0; i < lines.length; i++) {
      if (i > 0 && prompt) {
        prompt.lastIndex = p;
        const m = prompt.exec(out);
        if (m) p += m[0].length;
      }
      const line = lines[i]!;
      if (out.startsWith(line, p)) p += line.length;
      else return line.startsWith(out.slice(p)) ? { state: 'partial' } : { state: 'none' };
      if (i === lines.length - 1) break;
      if (p === out.length) return { state: 'partial' };
      if (out[p] !== '\n') return { state: 'none' };
      p++;
    }
    if (p === out.length) return enter ? { state: 'partial' } : { state: 'complete', end: p };
    if (out[p] === '\n') return { state: 'complete', end: p + 1 };
    // A redraw: blanks, then the text again.
    const blanks = /[ \t]*/y;
    blanks.lastIndex = p;
    p += blanks.exec(out)![0].length;
    if (p === out.length) return { state: 'partial' };
  }
  return { state: 'none' };
}

/**
 * The program's answer in the plain text of its new output: without the
 * echo of what was sent (where the terminal echoed it, see `matchEcho`), and
 * without the prompt the program printed when it was done.
 */
export function extractAnswer(text: string, echo: string | undefined, prompt: RegExp | undefined, linePrompt?: RegExp, enter = true): string {
  let out = text;
  if (echo !== undefined && echo.length > 0) {
    const m = matchEcho(out, echo, linePrompt, enter);
    if (m.state === 'complete') out = out.slice(m.end);
    // The whole echo and nothing after it (no Enter echoed yet, or none asked for).
    else if (m.state === 'partial' && isWholeEcho(out, echo, linePrompt)) out = '';
  }
  if (prompt) {
    const lastNewline = out.lastIndexOf('\n');
    if (prompt.test(out.slice(lastNewline + 1))) out = out.slice(0, lastNewline + 1);
  }
  return out;
}

function isWholeEcho(out: string, echo: string, linePrompt: RegExp | undefined): boolean {
  const m = matchEcho(out + '\n', echo, linePrompt);
  return m.state === 'complete' && m.end === out.length + 1;
}
