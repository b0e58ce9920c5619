import type { Disposable } from '../disposable.js';
import { AGENT_STATE_MISSES, AGENT_STATE_POLL_MS, type AgentActivity } from './agent-state.js';

export type Activity = AgentActivity['activity'];
export type WaitingFor = AgentActivity['waitingFor'];

/** The clock the tracker runs on: the session's injected `now` and the timers beside it. */
export interface ActivityClock {
  now: () => Date;
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(handle: NodeJS.Timeout | undefined): void;
  setInterval(fn: () => void, ms: number): NodeJS.Timeout;
  clearInterval(handle: NodeJS.Timeout | undefined): void;
}

/** The real timers, for a clock whose `now` is injected. */
export function systemClock(now: () => Date): ActivityClock {
  return { now, setTimeout, clearTimeout, setInterval, clearInterval };
}

export interface ActivityTrackerOptions {
  clock: ActivityClock;
  /** Quiet time after which output-driven activity is idle. */
  idleAfterMs: number;
  /** Each change of activity (the status machine records it and publishes `session-status`). */
  onChange(activity: Activity, waitingFor: WaitingFor): void;
}

/**
 * What a running program is doing — busy, idle, or waiting (for what) —
 * for every kind of session. Output makes it busy and a quiet period of
 * `idleAfterMs` idle, until the program itself says what it does (Claude
 * Code's state file, `watchAgentState`): from then on only that decides.
 */
export class ActivityTracker implements Disposable {
  private current: Activity = 'idle';
  private waiting: WaitingFor = null;
  private agentState: AgentActivity | undefined;
  private agentPoll: NodeJS.Timeout | undefined;
  private readonly agentListeners = new Set<(state: AgentActivity) => void>();
  private lastOutputAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ActivityTrackerOptions) {}

  get activity(): Activity {
    return this.current;
  }

  get waitingFor(): WaitingFor {
    return this.waiting;
  }

  /** What the program says it is doing, while it says (undefined: output decides). */
  get agent(): AgentActivity | undefined {
    return this.agentState;
  }

  /** A state source is polled (see watchAgentState). */
  get watchesAgent(): boolean {
    return this.agentPoll !== undefined;
  }

  /** The program wrote output. */
  output(): void {
    this.lastOutputAt = this.nowMs();
    if (this.agentState) return;
    if (this.current === 'idle') this.set('busy');
    this.idleTimer ??= this.opts.clock.setTimeout(() => this.checkIdle(), this.opts.idleAfterMs);
  }

  /**
   * Polls what the program says it is doing (`read`: undefined when it
   * cannot be read); each change becomes the activity.
   */
  watchAgentState(read: () => AgentActivity | undefined): Disposable {
    let misses = 0;
    this.agentPoll = this.opts.clock.setInterval(() => {
      const state = read();
      if (!state) {
        // One failed read (the file being rewritten, a torn JSON) keeps the state known: only a run of them means it is gone.
        if (++misses >= AGENT_STATE_MISSES) this.agentState = undefined;
        return;
      }
      misses = 0;
      this.reported(state);
    }, AGENT_STATE_POLL_MS);
    this.agentPoll.unref();
    const poll = this.agentPoll;
    return {
      dispose: () => {
        if (this.agentPoll !== poll) return;
        this.opts.clock.clearInterval(poll);
        this.agentPoll = undefined;
      },
    };
  }

  /**
   * From now on the program itself says what it is doing, pushed through
   * `reported` (a structured session's protocol) rather than polled; it
   * starts as `initial`, unannounced: nothing has changed yet.
   */
  speaksFor(initial: AgentActivity): void {
    this.opts.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.agentState = initial;
    this.current = initial.activity;
    this.waiting = initial.activity === 'waiting' ? initial.waitingFor : null;
  }

  /** What the program says it is doing now (polled by watchAgentState, or pushed by a structured session). */
  reported(state: AgentActivity): void {
    const was = this.agentState;
    this.agentState = state;
    // Every change, also one the activity does not show (idle → idle after a turn too quick to see busy).
    if (!was || was.activity !== state.activity || was.waitingFor !== state.waitingFor || was.since !== state.since) {
      for (const listener of this.agentListeners) listener(state);
    }
    if (!was || was.activity !== state.activity || was.waitingFor !== state.waitingFor || this.current !== state.activity) this.set(state.activity, state.waitingFor);
  }

  /** Each change of what the program says it is doing. */
  onAgentState(listener: (state: AgentActivity) => void): Disposable {
    this.agentListeners.add(listener);
    return { dispose: () => this.agentListeners.delete(listener) };
  }

  /** The program ended: no more timers. */
  stop(): void {
    this.opts.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.opts.clock.clearInterval(this.agentPoll);
    this.agentPoll = undefined;
  }

  dispose(): void {
    this.stop();
    this.agentListeners.clear();
  }

  private checkIdle(): void {
    if (this.agentState) {
      this.idleTimer = undefined;
      return;
    }
    const quietFor = this.nowMs() - this.lastOutputAt;
    if (quietFor >= this.opts.idleAfterMs) {
      this.idleTimer = undefined;
      this.set('idle');
    } else {
      this.idleTimer = this.opts.clock.setTimeout(() => this.checkIdle(), this.opts.idleAfterMs - quietFor);
    }
  }

  private set(activity: Activity, waitingFor: WaitingFor = null): void {
    this.current = activity;
    this.waiting = activity === 'waiting' ? waitingFor : null;
    this.opts.onChange(activity, this.waiting);
  }

  private nowMs(): number {
    return this.opts.clock.now().getTime();
  }
}
