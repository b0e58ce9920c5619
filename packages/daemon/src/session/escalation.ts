import type { CancelResult } from '@ccx/shared';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { findLeftoversOfSessions, findProcessesOfSessions, signalForegroundGroup, signalSession, snapshotSession, type ProcessScope, type SessionProcessIdentity } from '../process/session-processes.js';
import type { Session } from './session.js';

/** Default time a program gets to handle SIGINT before SIGTERM. */
export const DEFAULT_GRACE_MS = 3_000;
/** Time between SIGTERM and SIGKILL. */
export const TERM_WAIT_MS = 1_000;
/** Time to wait for the exit after SIGKILL before reporting a timeout. */
export const KILL_WAIT_MS = 3_000;

export interface CancelOptions {
  graceMs?: number;
  force?: boolean;
}

/**
 * Ends a session the way a careful person would: SIGINT to the foreground
 * process group (what Ctrl-C does), then SIGTERM, then SIGKILL to every
 * process of the session, each step an event. Concurrent cancels of one
 * session share one escalation.
 */
export class Escalator {
  private readonly inFlight = new Map<string, Promise<CancelResult>>();

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly scope: ProcessScope,
  ) {}

  cancel(session: Session, opts: CancelOptions): Promise<CancelResult> {
    const running = this.inFlight.get(session.id);
    if (running) return running;
    let leftovers: number[] = [];
    if (!session.isRunning) {
      leftovers = findLeftoversOfSessions([session.identity], this.scope).get(session.id) ?? [];
      session.setLeftovers(leftovers);
    }
    // Cancelling what already ended, with nothing of it left running, succeeds: the goal (it is not running) is met, and cron's cleanup step must not fail.
    if (!session.isRunning && leftovers.length === 0) return Promise.resolve({ session: session.info(), steps: [], timedOut: false, alreadyEnded: true });
    const work = session.isRunning ? this.escalate(session, opts) : this.endLeftovers(session, opts);
    const promise = work.finally(() => this.inFlight.delete(session.id));
    this.inFlight.set(session.id, promise);
    return promise;
  }

  private async escalate(session: Session, opts: CancelOptions): Promise<CancelResult> {
    // What holds the terminal now is remembered (by pid and start time): once
    // the program exits, node-pty closes the master and the terminal's name
    // means nothing. The rest of the identity is read afresh for each signal.
    const known = snapshotSession(session.identity, this.scope);
    const identity = (): SessionProcessIdentity => ({ ...session.identity, known });
    const leader = session.identity.pid!;
    const steps: string[] = [];
    const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    session.cancelRequested = true;
    const first = opts.force ? 'SIGKILL' : 'SIGINT';
    this.bus.publish('cancel-initiated', { sessionId: session.id, signal: first, graceMs: opts.force ? 0 : graceMs, force: !!opts.force });
    let exited: boolean;
    if (opts.force) {
      steps.push('SIGKILL');
      signalSession(identity(), 'SIGKILL', this.scope);
      exited = await session.waitForExit(KILL_WAIT_MS);
    } else {
      steps.push('SIGINT');
      signalForegroundGroup({ pid: leader, startTime: session.identity.startTime }, 'SIGINT');
      exited = await session.waitForExit(graceMs);
      if (!exited) {
        steps.push('SIGTERM');
        this.bus.publish('cancel-escalated', { sessionId: session.id, signal: 'SIGTERM' });
        signalSession(identity(), 'SIGTERM', this.scope);
        exited = await session.waitForExit(TERM_WAIT_MS);
      }
      if (!exited) {
        steps.push('SIGKILL');
        this.bus.publish('cancel-escalated', { sessionId: session.id, signal: 'SIGKILL' });
        signalSession(identity(), 'SIGKILL', this.scope);
        exited = await session.waitForExit(KILL_WAIT_MS);
      }
    }
    // The program is gone, but a grandchild that left its process group (or
    // ignored every signal so far) may still run: a cancelled session leaves
    // nothing behind.
    const stragglers = signalSession(identity(), 'SIGKILL', this.scope);
    if (stragglers.length) this.logger.info('killed leftover processes of cancelled session', { session: session.id, pids: stragglers });
    session.setLeftovers([]);
    return { session: session.info(), steps, timedOut: !exited };
  }

  /**
   * Cancel of an ended session whose program left processes behind: SIGTERM
   * (SIGKILL with --force), then SIGKILL to whatever still runs. The session
   * keeps its status; only its leftovers end.
   */
  private async endLeftovers(session: Session, opts: CancelOptions): Promise<CancelResult> {
    const steps: string[] = [];
    const first = opts.force ? 'SIGKILL' : 'SIGTERM';
    this.bus.publish('cancel-initiated', { sessionId: session.id, signal: first, graceMs: 0, force: !!opts.force });
    steps.push(first);
    const targets = signalSession(session.identity, first, this.scope);
    let left = targets;
    if (!opts.force) {
      const deadline = Date.now() + TERM_WAIT_MS;
      while (left.length && Date.now() < deadline) {
        await delay(50);
        left = findProcessesOfSessions([session.identity], this.scope).get(session.id) ?? [];
      }
      if (left.length) {
        steps.push('SIGKILL');
        this.bus.publish('cancel-escalated', { sessionId: session.id, signal: 'SIGKILL' });
        signalSession(session.identity, 'SIGKILL', this.scope);
      }
    }
    const deadline = Date.now() + KILL_WAIT_MS;
    do {
      left = findProcessesOfSessions([session.identity], this.scope).get(session.id) ?? [];
      if (left.length) await delay(50);
    } while (left.length && Date.now() < deadline);
    session.setLeftovers(left);
    this.logger.info('ended leftover processes of an ended session', { session: session.id, steps, left });
    return { session: session.info(), steps, timedOut: left.length > 0, endedLeftovers: targets.filter((pid) => !left.includes(pid)) };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
