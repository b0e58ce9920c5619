import type { IBuffer } from '@xterm/headless';
import type { ScreenState } from './screen-protocol.js';
import type { Screen } from './screen.js';

/** Where the active buffer's visible screen starts, optionally extended `scrollback` lines upwards. */
function firstLine(buffer: IBuffer, scrollback: number): number {
  return Math.max(0, buffer.baseY - scrollback);
}

/**
 * The screen as plain text, as a person reads it: trailing blanks trimmed on
 * each line, lines the terminal wrapped joined back into one, and blank lines
 * below the last non-blank one dropped.
 */
export function screenText(screen: Screen, scrollback = 0): string {
  const buffer = screen.terminal.buffer.active;
  const end = buffer.baseY + screen.terminal.rows;
  const lines: string[] = [];
  for (let y = firstLine(buffer, scrollback); y < end; y++) {
    const line = buffer.getLine(y);
    if (!line) break;
    // A row continued on the next one is kept at full width: its trailing
    // blanks are real content in the middle of the logical line.
    const continued = buffer.getLine(y + 1)?.isWrapped === true && y + 1 < end;
    const text = line.translateToString(!continued);
    if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  const trimmed = lines.map((l) => l.trimEnd());
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') trimmed.pop();
  return trimmed.join('\n');
}

const ALT_SWITCH = '\x1b[?1049h\x1b[H';
/** The cursor moves the serializer appends to put the cursor back; printed output must not move the reader's cursor. */
const TRAILING_CURSOR_MOVES = /(?:\x1b\[\d+[AB])?(?:\x1b\[\d+[CD])?((?:\x1b\[[\d;:]*m)?)$/;

/**
 * The visible screen with colours and attributes, for printing (`screen
 * --ansi`): only the active buffer, no mode switches (printing them would
 * flip the reader's own terminal into the alternate screen), no final cursor
 * move, and attributes reset at the end.
 */
export function screenAnsi(screen: Screen, scrollback = 0): string {
  const normal = screen.serializer.serialize({ scrollback, excludeModes: true, excludeAltBuffer: true });
  let body = normal;
  if (screen.terminal.buffer.active.type === 'alternate') {
    // The serializer only renders the alternate buffer after the normal one and a switch into it.
    const both = screen.serializer.serialize({ scrollback, excludeModes: true });
    body = both.startsWith(normal + ALT_SWITCH) ? both.slice(normal.length + ALT_SWITCH.length) : both;
  }
  return body.replace(TRAILING_CURSOR_MOVES, '$1') + '\x1b[0m';
}

/** Absolute cursor position (CUP) of a buffer's cursor. */
const cursorTo = (buffer: IBuffer): string => `\x1b[${buffer.cursorY + 1};${buffer.cursorX + 1}H`;

/**
 * Escape sequences that redraw the screen on a terminal of the same size,
 * for `attach`: home and clear, the visible normal buffer, then (when the
 * program uses it) the switch to the alternate screen and its contents,
 * then the modes the program set (bracketed paste, application keys, mouse).
 *
 * The serializer puts the cursor back with relative moves from the end of
 * the last row; after a full-width row the terminal sits in its pending-wrap
 * state and those moves land one column off. So each buffer's cursor is set
 * again absolutely, before the modes (origin mode would make it relative).
 */
export function screenReplay(screen: Screen): string {
  const { serializer, terminal } = screen;
  const normal = serializer.serialize({ scrollback: 0, excludeAltBuffer: true, excludeModes: true });
  const both = serializer.serialize({ scrollback: 0, excludeModes: true });
  const modes = serializer.serialize({ scrollback: 0 }).slice(both.length);
  let replay = '\x1b[H\x1b[2J' + normal + cursorTo(terminal.buffer.normal);
  if (terminal.buffer.active.type === 'alternate') replay += both.slice(normal.length) + cursorTo(terminal.buffer.alternate);
  return replay + modes;
}

export function screenState(screen: Screen): ScreenState {
  const { terminal } = screen;
  const buffer = terminal.buffer.active;
  return {
    cols: terminal.cols,
    rows: terminal.rows,
    cursor: { x: buffer.cursorX, y: buffer.cursorY },
    alternateScreen: buffer.type === 'alternate',
    title: screen.title,
  };
}
