import xtermHeadless from '@xterm/headless';
import type { Terminal as TerminalType } from '@xterm/headless';

const { Terminal } = xtermHeadless;

/** Lines of scrollback each session's headless terminal keeps. */
export const SCREEN_SCROLLBACK_LINES = 1000;

/**
 * A session's screen as a person would see it, and the terminal modes the
 * program set (bracketed paste, alternate screen), tracked by feeding all PTY
 * output through a headless xterm.
 */
export class Screen {
  readonly terminal: TerminalType;

  constructor(cols: number, rows: number, scrollback = SCREEN_SCROLLBACK_LINES) {
    this.terminal = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
  }

  write(data: Uint8Array | string): void {
    this.terminal.write(data);
  }

  /** Resolves once everything written so far has been parsed. */
  flush(): Promise<void> {
    return new Promise((resolve) => this.terminal.write('', resolve));
  }

  resize(cols: number, rows: number): void {
    this.terminal.resize(cols, rows);
  }

  get bracketedPaste(): boolean {
    return this.terminal.modes.bracketedPasteMode;
  }

  dispose(): void {
    this.terminal.dispose();
  }
}
