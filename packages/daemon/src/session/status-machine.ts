import type { CcxError, SessionStatus } from '@ccx/shared';
import type { Disposable } from '../disposable.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { SessionStore } from '../store/session-store.js';
import type { AgentActivity } from './agent-state.js';
import type { SessionRecord } from './session-record.js';

/** Pause between attempts to save metadata that could not be written. */
export const PERSIST_RETRY_MS = 2_000;

/**
 * Where each status may go: a session runs once, and an ended one stays
 * ended — unless its kind can start its program again on the same record
 * (a structured agent session's `resume`: see `resumed`).
 */
const NEXT_STATUSES: Record<SessionStatus, readonly SessionStatus[]> = {
  running: ['exited', 'cancelled', 'failed', 'lost'],
  exited: [],
  cancelled: [],
  failed: [],
  lost: [],
};

export interface StatusMachineDeps {
  bus: EventBus;
  logger: Logger;
  store: SessionStore;
  now: () => Date;
}

/**
 * Owns every change of a session record's status, whatever the kind of
 * session: the allowed transitions, their timestamps, the `session-status`
 * event, and saving the record (retried while the disk refuses it).
 */
export class SessionStatusMachine implements Disposable {
  /** Set while the metadata could not be saved: the retry that will try again. */
  private saveRetry: NodeJS.Timeout | undefined;

  constructor(
    private readonly record: SessionRecord,
    private readonly deps: StatusMachineDeps,
  ) {}

  get status(): SessionStatus {
    return this.record.status;
  }

  /** The program is running: its pid (and /proc start time, so the reaper never kills a reused pid). */
  started(pid: number, processStartTime: number | null): void {
    if (this.record.status !== 'running') return this.refuse('running');
    this.record.pid = pid;
    this.record.processStartTime = processStartTime;
    this.record.startedAt = this.deps.now().toISOString();
    this.save();
  }

  /**
   * An ended session's program is started again on the same record (a
   * structured agent session's `claude --resume`): running again, its end
   * forgotten; `started` follows with the new pid, or `failed`.
   */
  resumed(): void {
    if (this.record.status === 'running') return this.refuse('running');
    this.record.status = 'running';
    this.record.endedAt = this.record.exitCode = this.record.signal = this.record.error = null;
    this.deps.bus.publish('session-status', { sessionId: this.record.id, status: 'running' });
  }

  /** The program could not be started. */
  failed(failure: CcxError): void {
    if (!this.moveTo('failed')) return;
    this.record.error = failure.message;
    this.record.endedAt = this.deps.now().toISOString();
    this.save();
    this.deps.bus.publish('session-error', { sessionId: this.record.id, code: failure.code, message: failure.message });
    this.deps.bus.publish('session-status', { sessionId: this.record.id, status: 'failed' });
  }

  /** The program ended: `cancelled` when a cancel asked for it, else `exited`. */
  ended(exit: { exitCode: number; signalName: string | null; cancelled: boolean }): void {
    if (!this.moveTo(exit.cancelled ? 'cancelled' : 'exited')) return;
    this.record.exitCode = exit.signalName ? null : exit.exitCode;
    this.record.signal = exit.signalName;
    this.record.endedAt = this.deps.now().toISOString();
    this.save();
    this.deps.bus.publish('process-exit', { sessionId: this.record.id, code: this.record.exitCode, signal: exit.signalName });
    this.deps.bus.publish('session-status', { sessionId: this.record.id, status: this.record.status });
  }

  /** Restored as running: the daemon that ran it died, so it is lost. */
  lost(error: string): void {
    if (!this.moveTo('lost')) return;
    this.record.endedAt = this.deps.now().toISOString();
    this.record.error = error;
    this.save();
    this.deps.bus.publish('session-status', { sessionId: this.record.id, status: 'lost' });
  }

  /** A record salvaged from a directory without readable metadata: born lost, saved, announced with why. */
  salvagedLost(): void {
    if (this.record.status !== 'lost') return this.refuse('lost');
    this.save();
    this.deps.bus.publish('session-status', { sessionId: this.record.id, status: 'lost', error: this.record.error });
  }

  /** What a running program is doing changed (activity-tracker.ts). */
  activity(activity: AgentActivity['activity'], waitingFor: AgentActivity['waitingFor']): void {
    this.record.lastActivityAt = this.deps.now().toISOString();
    this.deps.bus.publish('session-status', { sessionId: this.record.id, status: this.record.status, activity, ...(waitingFor ? { waitingFor } : {}) });
  }

  /**
   * Saves the record. When that fails (disk full) it is retried until it
   * works: a session started while the disk was full would otherwise have no
   * meta.json until its next status change, and a daemon crash meanwhile
   * would leave its processes unknown to the reaper.
   */
  save(): void {
    const retrying = this.saveRetry !== undefined;
    clearTimeout(this.saveRetry);
    this.saveRetry = undefined;
    try {
      this.deps.store.save(this.record);
      if (retrying) this.deps.logger.info('session metadata saved again', { session: this.record.id });
    } catch (error) {
      if (!retrying) {
        this.deps.logger.error('could not save session metadata; retrying', { session: this.record.id, error: String(error) });
        this.deps.bus.publish('session-error', { sessionId: this.record.id, code: 'E_INTERNAL', message: `metadata write failed: ${String(error)}; retrying every ${PERSIST_RETRY_MS / 1000} s` });
      }
      this.saveRetry = setTimeout(() => this.save(), PERSIST_RETRY_MS);
      this.saveRetry.unref();
    }
  }

  /** Stops retrying a save (the session is freed). */
  dispose(): void {
    clearTimeout(this.saveRetry);
    this.saveRetry = undefined;
  }

  /**
   * Takes the record to `next` when that is allowed; false (logged, nothing
   * changed) when not. A bug is reported, never thrown: these run in a
   * program's exit callback, where a throw would end the daemon.
   */
  private moveTo(next: SessionStatus): boolean {
    if (!NEXT_STATUSES[this.record.status].includes(next)) {
      this.refuse(next);
      return false;
    }
    this.record.status = next;
    return true;
  }

  private refuse(next: SessionStatus): void {
    this.deps.logger.error('session status change refused', { session: this.record.id, from: this.record.status, to: next });
  }
}
