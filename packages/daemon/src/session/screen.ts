import xtermHeadless from '@xterm/headless';
import type { ITerminalAddon, Terminal as TerminalType } from '@xterm/headless';
import serializeModule from '@xterm/addon-serialize';
import { SCREEN_SCROLLBACK_LINES } from './screen-protocol.js';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeModule;


/**
 * A session's screen as a person would see it, and the terminal modes the
 * program set (bracketed paste, alternate screen), tracked by feeding all PTY
 * output through a headless xterm.
 */
export class Screen {
  readonly terminal: TerminalType;
  /** Renders the buffers back to escape sequences (`screen --ansi`, attach replay). */
  readonly serializer = new SerializeAddon();
  /** Last window title the program set (OSC 0/2). */
  title = '';

  constructor(cols: number, rows: number, scrollback = SCREEN_SCROLLBACK_LINES) {
    this.terminal = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
    this.terminal.loadAddon(this.serializer as unknown as ITerminalAddon);
    this.terminal.onTitleChange((title) => (this.title = title));
  }

  write(data: Uint8Array | string): void {
    this.terminal.write(data);
  }

  /**
   * Runs `read` once everything written so far has been parsed and before
   * anything written later is: xterm parses asynchronously, and this is the
   * one point where the screen matches a known prefix of the output.
   */
  whenParsed<T>(read: () => T): Promise<T> {
    return new Promise((resolve, reject) =>
      this.terminal.write('', () => {
        try {
          resolve(read());
        } catch (error) {
          reject(error);
        }
      }),
    );
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
