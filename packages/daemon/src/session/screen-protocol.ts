/**
 * Messages between the daemon's main thread and the screen worker
 * (screen-worker.ts). Every session's screen lives in the worker under a
 * numeric id; the main thread posts output and sizes, and asks questions that
 * are answered once everything posted before them has been parsed (a port
 * delivers messages in order, and the worker answers behind the writes).
 */

/** Lines of scrollback each session's headless terminal keeps. Here, not in screen.ts: the main thread must not load xterm. */
export const SCREEN_SCROLLBACK_LINES = 1000;

export interface ScreenState {
  cols: number;
  rows: number;
  cursor: { x: number; y: number };
  alternateScreen: boolean;
  title: string;
}

/** What `screen` shows: the state, the text and, when asked for, the ANSI rendering. */
export interface ScreenSnapshot extends ScreenState {
  text: string;
  ansi?: string;
}

/** The questions a screen answers, by kind. */
export type ScreenQuery =
  /** `settled`: answered between frames: not while the program is inside a synchronized update (DEC mode 2026), which a half-drawn frame is. */
  | { kind: 'text'; scrollback: number; settled?: boolean }
  | { kind: 'snapshot'; scrollback: number; ansi: boolean }
  | { kind: 'replay' }
  | { kind: 'bracketedPaste' };

/** The answer each kind of question gets. */
export interface ScreenAnswers {
  text: string;
  snapshot: ScreenSnapshot;
  replay: string;
  bracketedPaste: boolean;
}

export type ToWorker =
  | { t: 'open'; screen: number; cols: number; rows: number; scrollback: number }
  /** Output bytes, cloned by postMessage. */
  | { t: 'write'; screen: number; data: Uint8Array }
  | { t: 'resize'; screen: number; cols: number; rows: number }
  | { t: 'close'; screen: number }
  | { t: 'query'; screen: number; request: number; query: ScreenQuery };

export type FromWorker =
  | { t: 'answer'; request: number; ok: true; value: ScreenAnswers[ScreenQuery['kind']] }
  | { t: 'answer'; request: number; ok: false; error: string }
  /** The terminal's answer to a query in the program's output (DSR, DA…): for the program's input. */
  | { t: 'reply'; screen: number; data: string }
  /** Something went wrong in the worker that did not stop it; the main thread logs it. */
  | { t: 'warn'; message: string; screen?: number };
