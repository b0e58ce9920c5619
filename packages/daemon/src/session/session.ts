import { constants as osConstants } from 'node:os';
import * as pty from 'node-pty';
import { CcxError, keyBytes, type SendResult, type SessionInfo } from '@ccx/shared';
import type { Disposable } from '../disposable.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { readProcStat } from '../process/proc.js';
import { SESSION_ENV_MARKER, type ProcessScope, type SessionProcessIdentity } from '../process/session-processes.js';
import type { SessionStore } from '../store/session-store.js';
import { InputQueue } from './input-queue.js';
import { OutputLog } from './output-log.js';
import { drainOnEnd, gatherPending } from './pty-drain.js';
import { ptyInternals } from './pty-internals.js';
import { writeToPty } from './pty-write.js';
import type { RemoteScreen } from './remote-screen.js';
import type { ScreenHost } from './screen-host.js';
import { ENDED_STATUSES, type SessionRecord } from './session-record.js';
import { checkCwd, resolveExecutable } from './spawn-check.js';

export interface SessionDeps {
  bus: EventBus;
  logger: Logger;
  store: SessionStore;
  /** Keeps every session's screen, in the screen worker. */
  screens: ScreenHost;
  outputLogBytes: number;
  /** Quiet time after which a session counts as idle. */
  idleAfterMs: number;
  now: () => Date;
  /** Finds a session's processes: the daemon's pid and its sessions' cgroups. */
  processes: ProcessScope;
}

export type OutputListener = (chunk: Buffer, endOffset: number) => void;

/** Pause between attempts to save metadata that could not be written. */
export const PERSIST_RETRY_MS = 2_000;
/** An output log that failed counts as writable again after this long without a failure. */
export const LOG_RECOVERED_AFTER_MS = 1_000;

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(osConstants.signals).map(([name, num]) => [num, name]),
);

/**
 * One program in a PTY, with its screen, output log and input queue. The
 * record is persisted on every status change so a daemon restart keeps it.
 */
export class Session {
  private process: pty.IPty | undefined;
  /** The PTY: its slave's path names the session's terminal while the master is open. */
  private terminal: pty.IPty | undefined;
  /**
   * Processes of an ended session that outlived its program (daemonized
   * children), as last found; undefined until looked for, so an exit costs no
   * /proc scan of its own (`list` looks for many sessions in one).
   */
  private leftovers: number[] | undefined;
  private screenState: RemoteScreen | undefined;
  readonly output: OutputLog;
  private readonly input = new InputQueue();
  private readonly outputListeners = new Set<OutputListener>();
  private readonly exitWaiters = new Set<() => void>();
  private activity: 'busy' | 'idle' = 'idle';
  private lastOutputAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set while the output log cannot be written (disk full): what has been dropped, and when it last failed. */
  private logFailure: { droppedBytes: number; lastAt: number } | undefined;
  /** Set while the metadata could not be saved: the retry that will try again. */
  private persistRetry: NodeJS.Timeout | undefined;
  /** Set once a cancel starts: the exit then counts as `cancelled`. */
  cancelRequested = false;
  attachedClients = 0;

  constructor(
    readonly record: SessionRecord,
    private readonly deps: SessionDeps,
  ) {
    this.output = new OutputLog(deps.store.dirOf(record.id), deps.outputLogBytes);
  }

  get id(): string {
    return this.record.id;
  }

  get isRunning(): boolean {
    return this.record.status === 'running';
  }

  get isEnded(): boolean {
    return ENDED_STATUSES.has(this.record.status);
  }

  get screen(): RemoteScreen | undefined {
    return this.screenState;
  }

  /** What finds the session's processes (session-processes.ts); the PTY's slave only while its master is open. */
  get identity(): SessionProcessIdentity {
    const open = this.terminal && !ptyInternals(this.terminal)._socket?.destroyed;
    return {
      sessionId: this.id,
      pid: this.record.pid ?? undefined,
      startTime: this.record.processStartTime ?? undefined,
      pts: open ? ptyInternals(this.terminal!)._pty : undefined,
    };
  }

  /** Processes left behind by an ended session's program, as last found by `setLeftovers`. */
  get leftoverPids(): number[] {
    return this.isEnded ? (this.leftovers ?? []) : [];
  }

  /** An ended session whose leftovers are unknown or were seen: worth a look in the next scan. */
  get mayHaveLeftovers(): boolean {
    return this.isEnded && (this.leftovers === undefined || this.leftovers.length > 0);
  }

  /** Sets what is left of the session's processes (found by the caller, for many sessions in one scan). */
  setLeftovers(pids: number[]): void {
    this.leftovers = pids;
  }

  /** Starts the program; throws E_SPAWN (and records `failed`) when it cannot. */
  spawn(baseEnv: Record<string, string>): void {
    const [command, ...args] = this.record.command as [string, ...string[]];
    const env: Record<string, string> = { ...baseEnv, [SESSION_ENV_MARKER]: this.id, TERM: baseEnv.TERM && baseEnv.TERM !== 'dumb' ? baseEnv.TERM : 'xterm-256color' };
    try {
      checkCwd(this.record.cwd);
      const file = resolveExecutable(command, this.record.cwd, env.PATH);
      const fork = (): pty.IPty =>
        pty.spawn(file, args, {
          name: env.TERM,
          cols: this.record.cols,
          rows: this.record.rows,
          cwd: this.record.cwd,
          env,
          encoding: null,
        } as pty.IPtyForkOptions);
      const cgroups = this.deps.processes.cgroups;
      this.process = cgroups
        ? cgroups.bornInside(this.id, fork, (error) => this.deps.logger.warn('session cgroup unusable; its processes are found by the fallbacks', { session: this.id, error: String(error) }))
        : fork();
      this.terminal = this.process;
    } catch (error) {
      const failure =
        error instanceof CcxError ? error : new CcxError('E_SPAWN', `could not start ${command}: ${(error as Error).message}`, 'check the command and its permissions');
      this.record.status = 'failed';
      this.record.error = failure.message;
      this.record.endedAt = this.deps.now().toISOString();
      this.persist();
      this.deps.bus.publish('session-error', { sessionId: this.id, code: failure.code, message: failure.message });
      this.deps.bus.publish('session-status', { sessionId: this.id, status: 'failed' });
      throw failure;
    }
    const proc = this.process;
    this.screenState = this.deps.screens.open(this.record.cols, this.record.rows);
    this.record.pid = proc.pid;
    this.record.processStartTime = readProcStat(proc.pid)?.startTime ?? null;
    this.record.startedAt = this.deps.now().toISOString();
    this.persist();
    proc.onData((data) => this.handleOutput(gatherPending(proc, data as unknown as Buffer)));
    drainOnEnd(proc, (chunk) => this.handleOutput(chunk));
    proc.onExit(({ exitCode, signal }) => this.handleExit(exitCode, signal));
    this.deps.bus.publish('session-started', { sessionId: this.id, pid: proc.pid, command: this.record.command });
  }

  private handleOutput(chunk: Buffer): void {
    const logged = this.appendToLog(chunk);
    this.screenState?.write(chunk);
    this.lastOutputAt = Date.now();
    if (this.activity === 'idle') this.setActivity('busy');
    this.idleTimer ??= setTimeout(() => this.checkIdle(), this.deps.idleAfterMs);
    // Followers read from the log: a chunk it could not take has nothing for them.
    if (!logged) return;
    const end = this.output.end;
    for (const listener of this.outputListeners) {
      try {
        listener(chunk, end);
      } catch (error) {
        this.deps.logger.warn('output listener threw', { session: this.id, error: String(error) });
      }
    }
    this.deps.bus.publish('session-output', { sessionId: this.id, offset: end - chunk.length, bytes: chunk.length });
  }

  /**
   * Appends to the output log; false when it cannot (disk full). Failures are
   * reported once per episode, and again with the bytes dropped once writing
   * has worked for a second — once per chunk, a full disk made hundreds of
   * events a second, and a nearly full one flips between the two.
   */
  private appendToLog(chunk: Buffer): boolean {
    try {
      this.output.append(chunk);
    } catch (error) {
      if (this.logFailure) {
        this.logFailure.droppedBytes += chunk.length;
        this.logFailure.lastAt = Date.now();
        return false;
      }
      this.logFailure = { droppedBytes: chunk.length, lastAt: Date.now() };
      this.deps.logger.error('output log write failed; dropping output until it can be written', { session: this.id, error: String(error) });
      this.deps.bus.publish('session-error', { sessionId: this.id, code: 'E_INTERNAL', message: `output log write failed: ${String(error)}; output is dropped until the log can be written again` });
      return false;
    }
    if (this.logFailure && Date.now() - this.logFailure.lastAt >= LOG_RECOVERED_AFTER_MS) {
      const { droppedBytes } = this.logFailure;
      this.logFailure = undefined;
      this.deps.logger.warn('output log writable again', { session: this.id, droppedBytes });
      this.deps.bus.publish('session-error', { sessionId: this.id, code: 'E_INTERNAL', message: `output log writable again; ${droppedBytes} bytes of output were dropped while it was not`, droppedBytes });
    }
    return true;
  }

  private checkIdle(): void {
    const quietFor = Date.now() - this.lastOutputAt;
    if (quietFor >= this.deps.idleAfterMs) {
      this.idleTimer = undefined;
      this.setActivity('idle');
    } else {
      this.idleTimer = setTimeout(() => this.checkIdle(), this.deps.idleAfterMs - quietFor);
    }
  }

  private setActivity(activity: 'busy' | 'idle'): void {
    this.activity = activity;
    this.record.lastActivityAt = this.deps.now().toISOString();
    this.deps.bus.publish('session-status', { sessionId: this.id, status: this.record.status, activity });
  }

  private handleExit(exitCode: number, signal: number | undefined): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const signalName = signal ? (SIGNAL_NAMES[signal] ?? String(signal)) : null;
    this.record.status = this.cancelRequested ? 'cancelled' : 'exited';
    this.record.exitCode = signalName ? null : exitCode;
    this.record.signal = signalName;
    this.record.endedAt = this.deps.now().toISOString();
    this.output.close();
    this.persist();
    // What the program left running (a `setsid -f` child) stays until cancel, rm or daemon stop; `list` shows it.
    this.leftovers = undefined;
    this.deps.bus.publish('process-exit', { sessionId: this.id, code: this.record.exitCode, signal: signalName });
    this.deps.bus.publish('session-status', { sessionId: this.id, status: this.record.status });
    this.process = undefined;
    for (const waiter of this.exitWaiters) waiter();
    this.exitWaiters.clear();
  }

  /** Resolves true once the program has exited, false after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.isRunning) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.exitWaiters.delete(done);
        resolve(false);
      }, timeoutMs);
      this.exitWaiters.add(done);
    });
  }

  onOutput(listener: OutputListener): Disposable {
    this.outputListeners.add(listener);
    return { dispose: () => this.outputListeners.delete(listener) };
  }

  /** Live output listeners and exit waiters: leak checks read them through `daemon status`. */
  listenerCounts(): { output: number; exit: number } {
    return { output: this.outputListeners.size, exit: this.exitWaiters.size };
  }

  /**
   * Pastes text (inside bracketed-paste markers when the program asked for
   * them), then — after a pause, as a separate write — Enter, then any keys.
   * Claude Code and Codex treat text and CR arriving together as a paste and
   * would never submit it. Queued, so concurrent sends never interleave.
   */
  send(opts: { text?: string; enter: boolean; keys: string[]; enterDelayMs?: number; source?: string }): Promise<SendResult> {
    const keyData = opts.keys.map(keyBytes);
    return this.input.run(async () => {
      this.assertRunning();
      // Asked of the screen once it has parsed all output so far: a program
      // that just switched bracketed paste on gets its markers.
      const bracketed = await this.screenState!.bracketedPaste();
      // The program may have exited while the screen caught up (fuzz: a
      // TypeError from writing to the gone PTY, reported as E_INTERNAL).
      this.assertRunning();
      const offset = this.output.end;
      const writtenAt = this.deps.now().toISOString();
      let bytes = 0;
      if (opts.text !== undefined && opts.text.length > 0) {
        const payload = bracketed ? PASTE_START + opts.text + PASTE_END : opts.text;
        this.write(payload);
        bytes += Buffer.byteLength(payload);
      }
      const tail = (opts.enter ? ['\r'] : []).concat(keyData);
      for (const key of tail) {
        if (bytes > 0) await delay(opts.enterDelayMs ?? this.record.enterDelayMs);
        this.assertRunning();
        this.write(key);
        bytes += Buffer.byteLength(key);
      }
      this.deps.bus.publish('input-sent', {
        sessionId: this.id,
        bytes,
        text: opts.text !== undefined ? truncate(opts.text, 200) : undefined,
        keys: opts.keys.length ? opts.keys : undefined,
        enter: opts.enter,
        bracketedPaste: bracketed,
        source: opts.source ?? 'send',
      });
      return { session: this.id, bytes, bracketedPaste: bracketed, writtenAt, offset };
    });
  }

  /** Raw keystrokes from an attached client, through the same queue as `send`. */
  sendRaw(data: string | Buffer): Promise<void> {
    return this.input.run(async () => {
      if (this.isRunning) this.write(data);
    });
  }

  resize(cols: number, rows: number): void {
    if (!this.process) return;
    try {
      this.process.resize(cols, rows);
    } catch (error) {
      // The program is exiting and its PTY is closed (ioctl EBADF) before its
      // exit was handled: an attached client's resize then has nothing to do.
      this.deps.logger.log('debug', 'resize of a closing PTY ignored', { session: this.id, error: String(error) });
      return;
    }
    this.screenState?.resize(cols, rows);
    this.record.cols = cols;
    this.record.rows = rows;
  }

  private write(data: string | Buffer): void {
    writeToPty(this.process!, data);
  }

  private assertRunning(): void {
    if (!this.isRunning || !this.process) {
      throw new CcxError('E_NOT_RUNNING', `session ${this.label} is ${this.record.status}`, `start a new one with: ccx start -- ${this.record.command.join(' ')}`);
    }
  }

  get label(): string {
    return this.record.name ? `${this.record.name} (${this.id})` : this.id;
  }

  /**
   * Saves the record. When that fails (disk full) it is retried until it
   * works: a session started while the disk was full would otherwise have no
   * meta.json until its next status change, and a daemon crash meanwhile
   * would leave its processes unknown to the reaper.
   */
  persist(): void {
    const retrying = this.persistRetry !== undefined;
    clearTimeout(this.persistRetry);
    this.persistRetry = undefined;
    try {
      this.deps.store.save(this.record);
      if (retrying) this.deps.logger.info('session metadata saved again', { session: this.id });
    } catch (error) {
      if (!retrying) {
        this.deps.logger.error('could not save session metadata; retrying', { session: this.id, error: String(error) });
        this.deps.bus.publish('session-error', { sessionId: this.id, code: 'E_INTERNAL', message: `metadata write failed: ${String(error)}; retrying every ${PERSIST_RETRY_MS / 1000} s` });
      }
      this.persistRetry = setTimeout(() => this.persist(), PERSIST_RETRY_MS);
      this.persistRetry.unref();
    }
  }

  info(): SessionInfo {
    const r = this.record;
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      activity: this.isRunning ? this.activity : null,
      pid: r.pid,
      command: r.command,
      cwd: r.cwd,
      cols: r.cols,
      rows: r.rows,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      lastActivityAt: r.lastActivityAt,
      exitCode: r.exitCode,
      signal: r.signal,
      error: r.error,
      attachedClients: this.attachedClients,
      outputBytes: this.output.end,
      preset: r.preset,
      leftoverPids: this.leftoverPids,
    };
  }

  /** Frees in-memory state once a session is removed or the daemon stops. */
  dispose(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.persistRetry);
    this.persistRetry = undefined;
    this.output.close();
    this.screenState?.dispose();
    this.screenState = undefined;
    this.terminal = undefined;
    this.outputListeners.clear();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
