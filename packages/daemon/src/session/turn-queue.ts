import { CcxError, setLongTimeout } from '@ccx/shared';
import type { Disposable } from '../disposable.js';

/** Held by one caller at a time; `dispose` gives the session to the next in line. */
export type Turn = Disposable;

export interface TurnRequest {
  /** Fail with E_BUSY instead of waiting when the session is taken. */
  noQueue?: boolean;
  /** Called once when the request has to wait, with how many are ahead of it. */
  onQueued?: (ahead: number) => void;
  /** Give up waiting after this long (E_TIMEOUT; nothing was sent). */
  timeoutMs?: number;
  /** Aborted (the client went away): leave the line without taking a turn. */
  signal?: AbortSignal;
  /** Who waits, for the E_BUSY message. */
  label: string;
}

interface Waiting {
  grant: (turn: Turn) => void;
  fail: (error: Error) => void;
}

/**
 * One session's turns, first come first served: a `send --wait` holds the
 * session from its send until its answer is in, so two callers asking one
 * REPL at once each get the answer to their own text (issue 12 point 8).
 * A plain send takes a turn only for its send. A turn is given back by
 * disposing it, also when its client disconnects; a waiter whose client
 * disconnects leaves the line.
 */
export class TurnQueue {
  private held = false;
  private readonly line: Waiting[] = [];

  /** Callers holding or waiting for the session. */
  get length(): number {
    return this.line.length + (this.held ? 1 : 0);
  }

  acquire(req: TurnRequest): Promise<Turn> {
    if (req.signal?.aborted) return Promise.reject(new CcxError('E_PROTOCOL', 'the client went away'));
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.turn());
    }
    if (req.noQueue) {
      return Promise.reject(
        new CcxError('E_BUSY', `session ${req.label} is answering another caller (${this.length} holding or waiting)`, 'drop --no-queue to wait for your turn, or try again when it is done'),
      );
    }
    return new Promise<Turn>((resolve, reject) => {
      const cleanups: Array<() => void> = [];
      const leave = (): void => {
        const at = this.line.indexOf(waiting);
        if (at >= 0) this.line.splice(at, 1);
        for (const c of cleanups) c();
      };
      const waiting: Waiting = {
        grant: (turn) => {
          for (const c of cleanups) c();
          resolve(turn);
        },
        fail: (error) => {
          leave();
          reject(error);
        },
      };
      req.onQueued?.(this.length);
      this.line.push(waiting);
      if (req.timeoutMs !== undefined) {
        // Any duration: `send --wait --timeout 30d` must not fire at once (Node's timers stop at 24.8 days).
        const timer = setLongTimeout(
          () => waiting.fail(new CcxError('E_TIMEOUT', `waited ${(req.timeoutMs! / 1000).toFixed(1)} s for the turn on session ${req.label}; nothing was sent`, 'give it longer with --timeout, or see who holds it: ccx events ' + req.label)),
          req.timeoutMs,
        );
        cleanups.push(() => timer.dispose());
      }
      if (req.signal) {
        const onAbort = (): void => waiting.fail(new CcxError('E_PROTOCOL', 'the client went away'));
        req.signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => req.signal!.removeEventListener('abort', onAbort));
      }
    });
  }

  private turn(): Turn {
    let released = false;
    return {
      dispose: () => {
        if (released) return;
        released = true;
        const next = this.line.shift();
        if (next) next.grant(this.turn());
        else this.held = false;
      },
    };
  }
}
