/** Keystrokes typed in `attach` are reported at most once per this window. */
export const ATTACH_INPUT_WINDOW_MS = 100;

/**
 * Turns an attached terminal's keystrokes into `input-sent {source:
 * "attach", bytes}` events without one event per key. The first keystroke
 * after a quiet window is reported at once, before it is written, so its
 * event comes before its echo; the keystrokes of the next
 * ATTACH_INPUT_WINDOW_MS are summed into one event at the window's end
 * (their echo may come first: holding typing back until its event is out
 * would slow every keystroke). Only byte counts: keystrokes can be
 * passwords.
 */
export class AttachInputEvents {
  private pendingBytes = 0;
  private window: NodeJS.Timeout | undefined;

  constructor(private readonly publish: (bytes: number) => void) {}

  /** Call just before `bytes` typed in attach are written to the program. */
  typed(bytes: number): void {
    if (bytes <= 0) return;
    if (this.window) {
      this.pendingBytes += bytes;
      return;
    }
    this.publish(bytes);
    this.openWindow();
  }

  /** Publishes what is pending (the session ends, or is disposed). */
  flush(): void {
    clearTimeout(this.window);
    this.window = undefined;
    const bytes = this.pendingBytes;
    this.pendingBytes = 0;
    if (bytes > 0) this.publish(bytes);
  }

  private openWindow(): void {
    this.window = setTimeout(() => {
      this.window = undefined;
      if (this.pendingBytes === 0) return;
      const bytes = this.pendingBytes;
      this.pendingBytes = 0;
      this.publish(bytes);
      // Keystrokes kept coming: the next ones are summed over another window.
      this.openWindow();
    }, ATTACH_INPUT_WINDOW_MS);
    this.window.unref();
  }
}
