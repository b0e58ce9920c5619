import { SCREEN_SCROLLBACK_LINES } from './screen-protocol.js';
import type { RemoteScreen } from './remote-screen.js';

/** Marks kept per session: a wait starts from the last send's mark (or the end of a `send --wait`'s answer), rarely an older one. */
const MAX_MARKS = 4;

/** The screen (text with scrollback) as it was at an output offset, and the text sent there. */
export interface ScreenMark {
  offset: number;
  /** null: the screen could not say (its worker restarted). */
  screen: Promise<string | null>;
  /** What was sent at this mark, for taking its echo off (held in memory only, like the send's own text). */
  sent: string | undefined;
}

/**
 * For a program that draws its answers on the screen (a preset with
 * `draws: screen`), what the screen showed where each recent send wrote:
 * the "before" that a later `wait` compares the screen with, as agentapi
 * keeps the screen from before the last user message. A screen cannot be
 * read back at an old offset, so it is asked for at the time.
 */
export class ScreenMarks {
  private readonly marks: ScreenMark[] = [];

  /** Records the screen as asked for (screenNow) before the bytes that follow `offset` could reach it. */
  note(offset: number, text: Promise<string | null>, sent?: string): void {
    const i = this.marks.findIndex((m) => m.offset === offset);
    if (i >= 0) this.marks.splice(i, 1);
    this.marks.push({ offset, screen: text, sent });
    if (this.marks.length > MAX_MARKS) this.marks.shift();
  }

  /**
   * The newest mark at or before this offset: a key pressed after the text
   * (the Enter a submit check presses again) moves the session's input mark
   * past the send's own, and the screen before the text is still the one to
   * compare with.
   */
  atOrBefore(offset: number): ScreenMark | undefined {
    let best: ScreenMark | undefined;
    for (const m of this.marks) if (m.offset <= offset && (!best || m.offset > best.offset)) best = m;
    return best;
  }
}

/**
 * The screen's text with all its scrollback once it has parsed the output
 * so far; `settled`: and is between frames (which may be after later
 * output). A "before" is not settled: it must not be later than its mark,
 * or the answer drawn just after could count as old. Null when it cannot say.
 */
export function screenNow(screen: RemoteScreen | undefined, settled = true): Promise<string | null> {
  return screen ? screen.text(SCREEN_SCROLLBACK_LINES, settled).catch(() => null) : Promise.resolve(null);
}
