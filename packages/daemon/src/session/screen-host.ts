import { Worker } from 'node:worker_threads';
import { CcxError } from '@ccx/shared';
import type { Logger } from '../logger.js';
import { RemoteScreen } from './remote-screen.js';
import { SCREEN_SCROLLBACK_LINES, type FromWorker, type ScreenAnswers, type ScreenQuery, type ToWorker } from './screen-protocol.js';

/** The compiled worker next to this module (dist/session/screen-worker.js). */
export const SCREEN_WORKER_URL = new URL('./screen-worker.js', import.meta.url);

/** A worker that dies sooner than this after starting counts as crashing in a loop: its restart waits. */
const QUICK_DEATH_MS = 10_000;
const RESTART_DELAY_MIN_MS = 100;
const RESTART_DELAY_MAX_MS = 30_000;
/** Longest a question waits for the worker; parsing a full 50 MB backlog takes a few seconds. */
const ANSWER_TIMEOUT_MS = 30_000;

export interface ScreenHostOptions {
  logger: Logger;
  /** The worker script; tests pass one that fails on purpose. */
  workerUrl?: URL;
  scrollback?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * Owns the one screen worker of the daemon (screen-worker.ts) and talks to
 * it for every session's screen: parsing all output with @xterm/headless on
 * the thread that reads the PTYs held a 20 MB `cat` to half the pace of the
 * bare PTY, while the second core sat idle. One worker for all sessions, not
 * one each: an idle worker costs megabytes, an idle screen kilobytes.
 *
 * The worker is started with the first screen. If it dies, its questions are
 * answered with an error at once (nothing waits forever), the death is
 * logged, and a new worker takes over with blank screens of the same sizes;
 * what the old screens showed is not replayed.
 */
export class ScreenHost {
  private worker: Worker | undefined;
  private startedAt = 0;
  private restartDelayMs = RESTART_DELAY_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly screens = new Map<number, RemoteScreen>();
  private readonly pending = new Map<number, Pending>();
  private nextScreen = 1;
  private nextRequest = 1;
  private disposed = false;
  /** Times the worker died and was replaced (`daemon status`: resources.screenWorkerRestarts). */
  restarts = 0;

  constructor(private readonly opts: ScreenHostOptions) {}

  /** A new blank screen of this size, fed and asked through the worker. */
  open(cols: number, rows: number): RemoteScreen {
    const screen = new RemoteScreen(this, this.nextScreen++, cols, rows);
    this.screens.set(screen.id, screen);
    if (!this.worker && !this.restartTimer) this.start();
    else this.post(this.openMessage(screen));
    return screen;
  }

  /** Posts to the worker; dropped while there is none (it died and is being replaced). */
  post(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  /**
   * Asks a screen a question; answered once everything written to it before
   * has been parsed. A worker that is alive but stuck gets ANSWER_TIMEOUT_MS:
   * no send, attach, screen or wait waits on it for ever.
   */
  ask<K extends ScreenQuery['kind']>(screen: number, query: Extract<ScreenQuery, { kind: K }>): Promise<ScreenAnswers[K]> {
    if (!this.worker) return Promise.reject(this.unavailable());
    const request = this.nextRequest++;
    return new Promise((resolve, reject) => {
      // An open question keeps the process alive until it is answered; an idle worker does not.
      if (this.pending.size === 0) this.worker?.ref();
      const timer = setTimeout(() => {
        if (!this.pending.delete(request)) return;
        if (this.pending.size === 0) this.worker?.unref();
        reject(new CcxError('E_INTERNAL', `the screen worker did not answer within ${ANSWER_TIMEOUT_MS} ms`, 'if it keeps happening: ccx daemon restart'));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      this.pending.set(request, {
        resolve: (value) => (clearTimeout(timer), resolve(value as ScreenAnswers[K])),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.post({ t: 'query', screen, request, query });
    });
  }

  /** Called by a screen's dispose. */
  close(screen: number): void {
    if (!this.screens.delete(screen)) return;
    this.post({ t: 'close', screen });
  }

  /** Ends the worker; questions still open are answered with an error. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.screens.clear();
    const worker = this.worker;
    this.worker = undefined;
    this.failPending(this.unavailable());
    await worker?.terminate();
  }

  private openMessage(screen: RemoteScreen): ToWorker {
    return { t: 'open', screen: screen.id, cols: screen.cols, rows: screen.rows, scrollback: this.opts.scrollback ?? SCREEN_SCROLLBACK_LINES };
  }

  private start(): void {
    this.restartTimer = undefined;
    if (this.disposed) return;
    const worker = new Worker(this.opts.workerUrl ?? SCREEN_WORKER_URL);
    this.worker = worker;
    this.startedAt = Date.now();
    // Never what keeps the process alive while idle: it stops with the daemon (dispose) or with the process.
    if (this.pending.size === 0) worker.unref();
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (error) => this.opts.logger.error('screen worker failed', { error: String(error.stack ?? error) }));
    worker.on('exit', (code) => this.exited(worker, code));
    for (const screen of this.screens.values()) this.post(this.openMessage(screen));
  }

  private receive(message: FromWorker): void {
    switch (message.t) {
      case 'answer': {
        const pending = this.pending.get(message.request);
        if (!pending) return;
        this.pending.delete(message.request);
        if (this.pending.size === 0) this.worker?.unref();
        if (message.ok) pending.resolve(message.value);
        else pending.reject(new CcxError('E_INTERNAL', `screen query failed: ${message.error}`));
        return;
      }
      case 'reply':
        this.screens.get(message.screen)?.receiveReply(message.data);
        return;
      case 'warn':
        this.opts.logger.warn(message.message, message.screen !== undefined ? { screen: message.screen } : {});
        return;
    }
  }

  private exited(worker: Worker, code: number): void {
    if (this.worker !== worker) return; // terminated by dispose
    this.worker = undefined;
    this.failPending(this.unavailable());
    if (this.disposed) return;
    this.restarts++;
    // A worker that keeps dying right after starting is restarted ever more slowly, not in a tight loop.
    const delay = Date.now() - this.startedAt < QUICK_DEATH_MS ? this.restartDelayMs : RESTART_DELAY_MIN_MS;
    this.restartDelayMs = Math.min(delay * 2, RESTART_DELAY_MAX_MS);
    this.opts.logger.error('screen worker exited; starting a new one with blank screens', { code, screens: this.screens.size, restartInMs: delay });
    this.restartTimer = setTimeout(() => this.start(), delay);
    this.restartTimer.unref();
  }

  private failPending(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }

  private unavailable(): CcxError {
    if (this.disposed) return new CcxError('E_INTERNAL', 'the screen worker has stopped: the daemon is stopping');
    return new CcxError('E_INTERNAL', 'the screen worker stopped and is being restarted; try again');
  }
}
