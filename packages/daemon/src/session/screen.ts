import xtermHeadless from '@xterm/headless';
import type { ITerminalAddon, Terminal as TerminalType } from '@xterm/headless';
import serializeModule from '@xterm/addon-serialize';
import { SCREEN_SCROLLBACK_LINES } from './screen-protocol.js';
import { ANSWERED_WINDOW_REPORTS, answerQueries } from './screen-replies.js';
import { ScreenFeed } from './screen-feed.js';

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
  private readonly replyListeners = new Set<(data: string) => void>();
  /** What goes into the terminal: all output, less the lines of a flood that scroll out unseen. */
  readonly feed: ScreenFeed;

  /** `onWriteResult`: called with xterm's error when it refuses output (its backlog is full), with undefined when it takes some. */
  constructor(cols: number, rows: number, scrollback = SCREEN_SCROLLBACK_LINES, onWriteResult: (error: unknown) => void = () => {}) {
    this.terminal = new Terminal({ cols, rows, scrollback, allowProposedApi: true, windowOptions: ANSWERED_WINDOW_REPORTS });
    this.feed = new ScreenFeed(this.terminal, onWriteResult);
    this.terminal.loadAddon(this.serializer as unknown as ITerminalAddon);
    this.terminal.onTitleChange((title) => (this.title = title));
    // The terminal's answers to the program's queries (DSR, DA, DECRQSS…), and
    // ours for those xterm leaves unanswered: the daemon answers for every
    // attached terminal, and when none is attached.
    const reply = (data: string): void => {
      for (const listener of this.replyListeners) listener(data);
    };
    this.terminal.onData(reply);
    answerQueries(this.terminal, reply);
  }

  /** Listens for answers to the program's terminal queries, to be written to its input. */
  onReply(listener: (data: string) => void): { dispose(): void } {
    this.replyListeners.add(listener);
    return { dispose: () => this.replyListeners.delete(listener) };
  }

  write(data: Uint8Array | string): void {
    this.feed.write(typeof data === 'string' ? Buffer.from(data) : data);
  }

  /**
   * Runs `read` once everything written so far has been parsed and before
   * anything written later is: xterm parses asynchronously, and this is the
   * one point where the screen matches a known prefix of the output.
   */
  whenParsed<T>(read: () => T): Promise<T> {
    this.feed.flush();
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
    this.feed.flush();
    this.terminal.resize(cols, rows);
  }

  get bracketedPaste(): boolean {
    return this.terminal.modes.bracketedPasteMode;
  }

  dispose(): void {
    this.feed.dispose();
    this.replyListeners.clear();
    this.terminal.dispose();
  }
}
