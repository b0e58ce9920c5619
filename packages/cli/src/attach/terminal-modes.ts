/** `ESC [ ? 1049 h`, `?1047`, `?47`: the alternate screen on (h) or off (l). */
const ALT_SCREEN = /\x1b\[\?(?:1049|1047|47)([hl])/g;
/** Kept from one chunk to the next so a switch split across chunks is still seen. */
const CARRY_CHARS = 8;

/**
 * Follows the output for switches into and out of the alternate screen, so
 * that leaving `attach` can switch back only if the program left the user's
 * terminal in it: switching back when it is not active would restore a stale
 * saved cursor position.
 */
export class AltScreenTracker {
  active = false;
  private carry = '';

  see(chunk: Buffer): void {
    const text = this.carry + chunk.toString('latin1');
    ALT_SCREEN.lastIndex = 0;
    for (let m = ALT_SCREEN.exec(text); m; m = ALT_SCREEN.exec(text)) this.active = m[1] === 'h';
    // Seeing a switch again in the carry is harmless: it comes before the new chunk's.
    this.carry = text.slice(-CARRY_CHARS);
  }
}

/**
 * Puts back the terminal modes a program may have left set, so the shell
 * behaves after detaching: attributes, cursor visible, bracketed paste,
 * application cursor keys and keypad, mouse and focus reporting.
 */
export function resetModes(altScreen: boolean): string {
  return (
    (altScreen ? '\x1b[?1049l' : '') +
    '\x1b[0m\x1b[?25h\x1b[?2004l\x1b[?1l\x1b>\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1004l'
  );
}
