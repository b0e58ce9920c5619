/**
 * The screen worker: a worker thread that owns the headless terminal of
 * every session and parses their output, so that parsing runs on the second
 * core and not on the thread that reads the PTYs and serves clients. See
 * screen-host.ts for the main thread's side and docs/architecture.md.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ScreenAnswers, ScreenQuery, ToWorker } from './screen-protocol.js';
import { screenAnsi, screenReplay, screenState, screenText } from './screen-render.js';
import { Screen } from './screen.js';

const port = parentPort;
if (!port) throw new Error('screen-worker.js runs as a worker thread only');

const screens = new Map<number, Screen>();
const post = (message: FromWorker): void => port.postMessage(message);

function answer(screen: Screen, query: ScreenQuery): ScreenAnswers[ScreenQuery['kind']] {
  switch (query.kind) {
    case 'text':
      return screenText(screen, query.scrollback);
    case 'snapshot':
      return {
        ...screenState(screen),
        text: screenText(screen, query.scrollback),
        ...(query.ansi ? { ansi: screenAnsi(screen, query.scrollback) } : {}),
      };
    case 'replay':
      return screenReplay(screen);
    case 'bracketedPaste':
      return screen.bracketedPaste;
  }
}

/** Answers not yet posted, per screen, past which more are dropped: a program asking faster than anything can answer. */
const MAX_PENDING_REPLY_CHARS = 64 * 1024;

/**
 * Collects a screen's answers to terminal queries and posts them once per
 * turn: output full of queries would otherwise be a message to the main
 * thread, and a PTY write, per query.
 */
function replyBatcher(screen: number): (data: string) => void {
  let pending = '';
  return (data) => {
    if (pending.length + data.length > MAX_PENDING_REPLY_CHARS) return;
    if (pending === '') {
      setImmediate(() => {
        const batch = pending;
        pending = '';
        if (screens.has(screen)) post({ t: 'reply', screen, data: batch });
      });
    }
    pending += data;
  };
}

/** Screens whose writes are failing (xterm refuses data past its 50 MB backlog): reported once per episode, not per chunk. */
const failing = new Set<number>();

/**
 * Longest a settled question waits for a synchronized update to end: a
 * program that opens one and never closes it is answered anyway (a
 * terminal gives up on it too).
 */
const MAX_SYNC_WAIT_MS = 500;
/** Settled questions waiting for a frame to end, per screen: each is called after every later write has been parsed. */
const betweenFrames = new Map<number, Set<() => void>>();

/** Runs `read` once the screen has parsed what came so far and is not inside a synchronized update (or MAX_SYNC_WAIT_MS passed). */
function whenSettled<T>(id: number, screen: Screen, read: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const waiting = betweenFrames.get(id) ?? new Set<() => void>();
    const done = (): void => {
      clearTimeout(timer);
      waiting.delete(check);
      if (waiting.size === 0) betweenFrames.delete(id);
      try {
        resolve(read());
      } catch (error) {
        reject(error);
      }
    };
    const check = (): void => {
      if (!screen.terminal.modes.synchronizedOutputMode) done();
    };
    void screen.whenParsed(() => {
      if (!screen.terminal.modes.synchronizedOutputMode) return done();
      waiting.add(check);
      betweenFrames.set(id, waiting);
      timer = setTimeout(done, MAX_SYNC_WAIT_MS);
    });
  });
}

function write(id: number, data: Uint8Array): void {
  const screen = screens.get(id);
  if (!screen) return;
  screen.write(data);
  const waiting = betweenFrames.get(id);
  if (waiting) void screen.whenParsed(() => [...waiting].forEach((check) => check()));
}

/** A screen's terminal took output (error undefined) or refused it: reported once per episode, not per chunk. */
function writeResult(id: number, error: unknown): void {
  if (error === undefined) {
    if (failing.delete(id)) post({ t: 'warn', screen: id, message: 'screen worker: the screen takes output again' });
    return;
  }
  if (failing.has(id)) return;
  failing.add(id);
  post({ t: 'warn', screen: id, message: `screen worker: output dropped from the screen until it catches up: ${String(error)}` });
}

function handle(message: ToWorker): void {
  switch (message.t) {
    case 'open': {
      screens.get(message.screen)?.dispose();
      const screen = new Screen(message.cols, message.rows, message.scrollback, (error) => writeResult(message.screen, error));
      screen.onReply(replyBatcher(message.screen));
      screens.set(message.screen, screen);
      return;
    }
    case 'write':
      write(message.screen, message.data);
      return;
    case 'resize':
      screens.get(message.screen)?.resize(message.cols, message.rows);
      return;
    case 'close':
      screens.get(message.screen)?.dispose();
      screens.delete(message.screen);
      failing.delete(message.screen);
      // Settled questions still waiting are answered by their timers (from the disposed screen).
      return;
    case 'query': {
      const { request, query } = message;
      const screen = screens.get(message.screen);
      if (!screen) {
        post({ t: 'answer', request, ok: false, error: 'the screen is closed' });
        return;
      }
      const parsed = query.kind === 'text' && query.settled ? whenSettled(message.screen, screen, () => answer(screen, query)) : screen.whenParsed(() => answer(screen, query));
      parsed.then(
        (value) => post({ t: 'answer', request, ok: true, value }),
        (error: unknown) => post({ t: 'answer', request, ok: false, error: String((error as Error)?.stack ?? error) }),
      );
      return;
    }
  }
}

port.on('message', (message: ToWorker) => {
  try {
    handle(message);
  } catch (error) {
    // One screen's failure must not stop the others: report it and go on.
    const screen = 'screen' in message ? message.screen : undefined;
    post({ t: 'warn', message: `screen worker: ${message.t} failed: ${String((error as Error)?.stack ?? error)}`, screen });
    if (message.t === 'query') post({ t: 'answer', request: message.request, ok: false, error: String(error) });
  }
});
