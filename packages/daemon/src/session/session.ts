import { constants as osConstants } from 'node:os';
import * as pty from 'node-pty';
import { CcxError, DEFAULT_WINDOW_SIZE, keyBytes, MAX_INPUT_QUEUE_BYTES, MAX_WAITING_TEXT_BYTES, shellCommand, type SendResult, type SessionInfo, type WindowSizePolicy } from '@ccx/shared';
import type { InputTextMode } from '../config/settings.js';
import type { Disposable } from '../disposable.js';
import { withUmask } from '../process/umask.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { readProcStat } from '../process/proc.js';
import { SESSION_ENV_MARKER, type ProcessScope, type SessionProcessIdentity } from '../process/session-processes.js';
import type { SessionStore } from '../store/session-store.js';
import { AGENT_STATE_MISSES, AGENT_STATE_POLL_MS, isClaudeSession, readClaudeState, type AgentActivity } from './agent-state.js';
import { AttachInputEvents } from './attach-input-events.js';
import { AttachedClients } from './attached-clients.js';
import { InputQueue } from './input-queue.js';
import { OutputLog } from './output-log.js';
import { drainOnEnd, gatherPending } from './pty-drain.js';
import { ptyInternals } from './pty-internals.js';
import { PtyWriter } from './pty-write.js';
import type { RemoteScreen } from './remote-screen.js';
import type { ScreenHost } from './screen-host.js';
import { ENDED_STATUSES, type SessionRecord } from './session-record.js';
import { checkCwd, resolveExecutable } from './spawn-check.js';
import { TurnQueue } from './turn-queue.js';
import { ScreenMarks } from './screen-marks.js';

export interface SessionDeps {
  bus: EventBus;
  logger: Logger;
  store: SessionStore;
  /** Keeps every session's screen, in the screen worker. */
  screens: ScreenHost;
  outputLogBytes: number;
  /** Quiet time after which a session counts as idle. */
  idleAfterMs: number;
  /** window-size of sessions started without one (config file `windowSize`); undefined: latest. */
  defaultWindowSize?: WindowSizePolicy;
  now: () => Date;
  /** How much of sent text `input-sent` events carry (config `events.inputText`); default none. */
  inputText?: InputTextMode;
  /** Finds a session's processes: the daemon's pid and its sessions' cgroups. */
  processes: ProcessScope;
}

export type OutputListener = (chunk: Buffer, endOffset: number) => void;

/** Text of a send that arrives in pieces (a streamed `send --stdin`): `bytes` in all, pulled one chunk at a time. */
export interface StreamedText {
  bytes: number;
  /** The next chunk; rejects when the client went away. */
  next(): Promise<Buffer>;
}

/**
 * A send that finds the input queue full waits while the program reads; it
 * is refused whole (E_BUSY, nothing sent) once the program has read none of
 * its input for this long.
 */
export const BUSY_AFTER_MS = 2_000;
/** A streamed send already under way is more patient: breaking a paste off in the middle is worse than waiting. */
export const INPUT_STALL_MS = 30_000;

/** Pause between attempts to save metadata that could not be written. */
export const PERSIST_RETRY_MS = 2_000;
/** An output log that failed counts as writable again after this long without a failure. */
export const LOG_RECOVERED_AFTER_MS = 1_000;

/** Input bytes waiting for the program (the PTY's input is full) past which answers to terminal queries are dropped. */
const MAX_QUEUED_ANSWER_BYTES = 64 * 1024;
/** Answers held while a paste is open; a program asking more in that time gets the first ones. */
const MAX_HELD_ANSWERS = 64;

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
  private writer: PtyWriter | undefined;
  /** Between a streamed send's paste markers: terminal answers wait in `heldAnswers`. */
  private pasteOpen = false;
  private readonly heldAnswers: string[] = [];
  /** Callers holding or waiting for the session: see TurnQueue. */
  readonly turns = new TurnQueue();
  /**
   * Where a `wait` without `from` starts: the output offset at which the
   * last send wrote its text, moved past the answer a `send --wait` turn
   * returned. Undefined until the first send (in this daemon's life).
   */
  inputMark: number | undefined;
  /** The screen at recent marks, for programs that draw their answers (wait/screen-answer.ts). */
  readonly screenMarks = new ScreenMarks();
  /** Bytes of text held by sends that wait for their turn or for the input queue. */
  private waitingTextBytes = 0;
  private readonly attachInput = new AttachInputEvents((bytes) => this.deps.bus.publish('input-sent', { sessionId: this.id, bytes, source: 'attach' }));
  private readonly outputListeners = new Set<OutputListener>();
  private readonly exitWaiters = new Set<() => void>();
  private activity: AgentActivity['activity'] = 'idle';
  private waitingFor: AgentActivity['waitingFor'] = null;
  /** What the program itself says it is doing (Claude Code's state file); while known, output no longer decides busy/idle. */
  private agentState: AgentActivity | undefined;
  private agentPoll: NodeJS.Timeout | undefined;
  private readonly agentListeners = new Set<(state: AgentActivity) => void>();
  private lastOutputAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set while the output log cannot be written (disk full): what has been dropped, and when it last failed. */
  private logFailure: { droppedBytes: number; lastAt: number } | undefined;
  /** Set while the metadata could not be saved: the retry that will try again. */
  private persistRetry: NodeJS.Timeout | undefined;
  /** Set while answers to terminal queries are dropped (see answerQuery). */
  private droppingAnswers = false;
  /** Set once a cancel starts: the exit then counts as `cancelled`. */
  cancelRequested = false;
  /** The terminals attached right now; they size the window under its window-size policy. */
  readonly clients: AttachedClients;

  constructor(
    readonly record: SessionRecord,
    private readonly deps: SessionDeps,
  ) {
    this.output = new OutputLog(deps.store.dirOf(record.id), deps.outputLogBytes);
    this.clients = new AttachedClients(
      {
        size: () => ({ cols: this.record.cols, rows: this.record.rows }),
        policy: () => this.windowSize,
        resize: (cols, rows) => this.resize(cols, rows),
      },
      deps.now,
    );
  }

  /** Records from before window-size existed have none: they get the default, today's behaviour. */
  get windowSize(): WindowSizePolicy {
    return this.record.windowSize ?? DEFAULT_WINDOW_SIZE;
  }

  /** Changes the window-size policy, and applies it to the clients attached now. */
  setWindowSize(policy: WindowSizePolicy): void {
    if (this.record.windowSize !== policy) {
      this.record.windowSize = policy;
      this.persist();
    }
    this.clients.apply();
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
  /** What the program itself says it is doing (Claude Code's state file), when it says. */
  get agentActivity(): AgentActivity | undefined {
    return this.isRunning ? this.agentState : undefined;
  }

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
  spawn(baseEnv: Record<string, string>, umask?: number): void {
    const [command, ...args] = this.record.command as [string, ...string[]];
    const env: Record<string, string> = { ...baseEnv, [SESSION_ENV_MARKER]: this.id, TERM: baseEnv.TERM && baseEnv.TERM !== 'dumb' ? baseEnv.TERM : 'xterm-256color' };
    try {
      checkCwd(this.record.cwd);
      const file = resolveExecutable(command, this.record.cwd, env.PATH);
      // The caller's umask, not the daemon's: files the program creates get the modes they would from the caller's shell.
      const fork = (): pty.IPty =>
        withUmask(umask, () => pty.spawn(file, args, {
          name: env.TERM,
          cols: this.record.cols,
          rows: this.record.rows,
          cwd: this.record.cwd,
          env,
          encoding: null,
        } as pty.IPtyForkOptions));
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
    this.writer = new PtyWriter(proc);
    this.screenState = this.deps.screens.open(this.record.cols, this.record.rows);
    // Answers to the program's terminal queries go straight to its input, not
    // behind queued sends: the program is waiting for them. The daemon is the
    // one terminal that answers (attach keeps the attached ones quiet).
    this.screenState.onReply((data) => this.answerQuery(data));
    this.record.pid = proc.pid;
    this.record.processStartTime = readProcStat(proc.pid)?.startTime ?? null;
    this.record.startedAt = this.deps.now().toISOString();
    this.persist();
    proc.onData((data) => this.handleOutput(gatherPending(proc, data as unknown as Buffer)));
    drainOnEnd(proc, (chunk) => this.handleOutput(chunk));
    proc.onExit(({ exitCode, signal }) => this.handleExit(exitCode, signal));
    this.deps.bus.publish('session-started', { sessionId: this.id, pid: proc.pid, command: this.record.command });
    if (env.HOME && isClaudeSession(this.record.command, this.record.preset)) this.watchAgentState(env.HOME, proc.pid);
  }

  /** Polls Claude Code's own state file; each change becomes the session's activity (and a session-status event). */
  private watchAgentState(home: string, pid: number): void {
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    let misses = 0;
    this.agentPoll = setInterval(() => {
      const state = readClaudeState(home, pid, uid);
      if (!state) {
        // One failed read (the file being rewritten, a torn JSON) keeps the state known: only a run of them means it is gone.
        if (++misses >= AGENT_STATE_MISSES) this.agentState = undefined;
        return;
      }
      misses = 0;
      const was = this.agentState;
      this.agentState = state;
      // Every change, also one the activity does not show (idle → idle after a turn too quick to see busy).
      if (!was || was.activity !== state.activity || was.waitingFor !== state.waitingFor || was.since !== state.since) {
        for (const listener of this.agentListeners) listener(state);
      }
      if (!was || was.activity !== state.activity || was.waitingFor !== state.waitingFor || this.activity !== state.activity) this.setActivity(state.activity, state.waitingFor);
    }, AGENT_STATE_POLL_MS);
    this.agentPoll.unref();
  }

  private handleOutput(chunk: Buffer): void {
    const logged = this.appendToLog(chunk);
    this.screenState?.write(chunk);
    this.lastOutputAt = Date.now();
    if (!this.agentState) {
      if (this.activity === 'idle') this.setActivity('busy');
      this.idleTimer ??= setTimeout(() => this.checkIdle(), this.deps.idleAfterMs);
    }
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
    if (this.agentState) {
      this.idleTimer = undefined;
      return;
    }
    const quietFor = Date.now() - this.lastOutputAt;
    if (quietFor >= this.deps.idleAfterMs) {
      this.idleTimer = undefined;
      this.setActivity('idle');
    } else {
      this.idleTimer = setTimeout(() => this.checkIdle(), this.deps.idleAfterMs - quietFor);
    }
  }

  private setActivity(activity: AgentActivity['activity'], waitingFor: AgentActivity['waitingFor'] = null): void {
    this.activity = activity;
    this.waitingFor = activity === 'waiting' ? waitingFor : null;
    this.record.lastActivityAt = this.deps.now().toISOString();
    this.deps.bus.publish('session-status', { sessionId: this.id, status: this.record.status, activity, ...(this.waitingFor ? { waitingFor: this.waitingFor } : {}) });
  }

  private handleExit(exitCode: number, signal: number | undefined): void {
    // Keystrokes typed just before the end are reported before the exit.
    this.attachInput.flush();
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    clearInterval(this.agentPoll);
    this.agentPoll = undefined;
    const signalName = signal ? (SIGNAL_NAMES[signal] ?? String(signal)) : null;
    this.record.status = this.cancelRequested ? 'cancelled' : 'exited';
    this.record.exitCode = signalName ? null : exitCode;
    this.record.signal = signalName;
    this.record.endedAt = this.deps.now().toISOString();
    this.output.close();
    this.writer?.close();
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

  /** Claude Code's state file is read for this session (the claude preset, or a claude command). */
  get watchesAgentState(): boolean {
    return this.agentPoll !== undefined;
  }

  /** Each change of what the program says it is doing (see agentActivity). */
  onAgentState(listener: (state: AgentActivity) => void): Disposable {
    this.agentListeners.add(listener);
    return { dispose: () => this.agentListeners.delete(listener) };
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
   * `paste: false` types the text instead: the same bytes in one write,
   * without markers, so a key-driven program (vim, less) reads them as keys.
   *
   * The reply says what the kernel took (`written`) and what still waits in
   * the session's input queue (`queued`). Text that does not fit the queue
   * beside what is already waiting waits for room while the program reads,
   * and is refused whole (E_BUSY) when it does not, so a program that does
   * not read cannot make the daemon hold its input without bound; streamed
   * text waits for room chunk by chunk.
   */
  send(opts: { text?: string | StreamedText; paste?: boolean; enter: boolean; keys: string[]; enterDelayMs?: number; source?: string; record?: boolean }): Promise<SendResult> {
    const keyData = opts.keys.map(keyBytes);
    return this.input.run(async () => {
      this.assertRunning();
      // Asked of the screen once it has parsed all output so far: a program
      // that just switched bracketed paste on gets its markers.
      const bracketed = opts.paste !== false && (await this.screenState!.bracketedPaste());
      // The program may have exited while the screen caught up (fuzz: a
      // TypeError from writing to the gone PTY, reported as E_INTERNAL).
      this.assertRunning();
      const writer = this.writer!;
      const text = opts.text;
      if (typeof text === 'string' && text.length > 0) await this.awaitRoom(writer, Buffer.byteLength(text) + (bracketed ? PASTE_START.length + PASTE_END.length : 0), 0, 0);
      const offset = this.output.end;
      this.inputMark = offset;
      const startedAt = writer.submittedBytes;
      const writtenAt = this.deps.now().toISOString();
      const hasText = typeof text === 'string' ? text.length > 0 : text !== undefined;
      const tail = (opts.enter ? ['\r'] : []).concat(keyData);
      const textBytes = typeof text === 'string' ? Buffer.byteLength(text) : (text?.bytes ?? 0);
      const plannedBytes = textBytes + (hasText && bracketed ? PASTE_START.length + PASTE_END.length : 0) + tail.reduce((n, key) => n + Buffer.byteLength(key), 0);
      // Published just before the first byte is written: the program's echo
      // must never reach a follower ahead of the event that caused it, and a
      // send refused before it wrote anything (a streamed one that found no
      // room) leaves no event. `send --no-record` leaves none at all; the
      // text only when the user opted in (it may be a password).
      let published = false;
      const publish = (): void => {
        if (published || opts.record === false) return;
        published = true;
        this.deps.bus.publish('input-sent', {
          sessionId: this.id,
          bytes: plannedBytes,
          // Streamed text (over 256 KiB) is never recorded: it is not held in one piece.
          ...inputTextFields(this.deps.inputText ?? 'none', typeof text === 'string' ? text : undefined, opts.keys),
          enter: opts.enter,
          bracketedPaste: bracketed,
          source: opts.source ?? 'send',
        });
      };
      if (hasText) {
        let opened = false;
        // Just before the first text byte: a send refused before it began leaves no trace.
        const openPaste = (): void => {
          publish();
          if (bracketed && !opened) {
            writer.write(PASTE_START);
            // Answers to terminal queries wait until the paste is closed: inside it the program would take them as text.
            this.pasteOpen = true;
          }
          opened = true;
        };
        try {
          if (typeof text === 'string') {
            openPaste();
            writer.write(text);
          } else await this.writeStreamed(writer, text!, openPaste);
        } finally {
          // Also when the stream broke off: a program left inside a paste would take every later key as text.
          if (bracketed && opened && this.isRunning) writer.write(PASTE_END);
          this.closePaste();
        }
      }
      publish();
      for (const key of tail) {
        if (writer.submittedBytes > startedAt) await delay(opts.enterDelayMs ?? this.record.enterDelayMs);
        this.assertRunning();
        writer.write(key);
      }
      const bytes = writer.submittedBytes - startedAt;
      const written = Math.min(bytes, Math.max(0, writer.acceptedBytes - startedAt));
      return { session: this.id, bytes, written, queued: bytes - written, bracketedPaste: bracketed, writtenAt, offset };
    });
  }

  /**
   * Waits until the queue can take `bytes` beside what already waits there
   * (an empty queue takes any one piece), as long as the program keeps
   * reading; E_BUSY once it has read nothing for BUSY_AFTER_MS (before any
   * of this send was written: nothing was sent) or INPUT_STALL_MS (after).
   */
  private async awaitRoom(writer: PtyWriter, bytes: number, sent: number, total: number): Promise<void> {
    // The stall counts from the kernel's last progress, not from this call: behind a queue already stuck, a send is refused at once.
    while (writer.queuedBytes > 0 && writer.queuedBytes + bytes > MAX_INPUT_QUEUE_BYTES) {
      const stalledMs = writer.stalledMs();
      if (sent === 0 && stalledMs >= BUSY_AFTER_MS) {
        throw new CcxError(
          'E_BUSY',
          `session ${this.label} is not reading its input: ${writer.queuedBytes} bytes are still waiting for it (at most ${MAX_INPUT_QUEUE_BYTES} are kept)`,
          `nothing was sent; look at it (ccx screen ${this.id}) and send again once it reads, or interrupt it: ccx interrupt ${this.id}`,
        );
      }
      if (stalledMs >= INPUT_STALL_MS) {
        throw new CcxError('E_BUSY', `session ${this.label} read none of its input for ${INPUT_STALL_MS / 1000} s; ${sent} of ${total} bytes were sent`, `look at it: ccx screen ${this.id}`);
      }
      await writer.progress(Math.min(250, (sent === 0 ? BUSY_AFTER_MS : INPUT_STALL_MS) - stalledMs));
      this.assertRunning();
    }
  }

  /** Writes streamed text chunk by chunk, each once the queue has room for it. */
  private async writeStreamed(writer: PtyWriter, text: StreamedText, beforeFirst: () => void): Promise<void> {
    for (let sent = 0; sent < text.bytes; ) {
      const chunk = await text.next();
      if (chunk.length === 0 || sent + chunk.length > text.bytes) throw new CcxError('E_USAGE', `streamed text does not add up: ${sent + chunk.length} bytes of the ${text.bytes} announced`, 'send exactly textBytes bytes in input frames');
      await this.awaitRoom(writer, chunk.length, sent, text.bytes);
      beforeFirst();
      writer.write(chunk);
      sent += chunk.length;
    }
  }

  /**
   * Accounts for the text a send holds while it waits (its turn, the input
   * queue); dispose once it is written. Refused (E_BUSY) past
   * MAX_WAITING_TEXT_BYTES, unless nothing else waits: any one send fits.
   */
  holdText(bytes: number): Disposable {
    if (this.waitingTextBytes > 0 && this.waitingTextBytes + bytes > MAX_WAITING_TEXT_BYTES) {
      throw new CcxError(
        'E_BUSY',
        `session ${this.label} has ${this.waitingTextBytes} bytes of other sends waiting for it (at most ${MAX_WAITING_TEXT_BYTES})`,
        `nothing was sent; send again once they are written (ccx events ${this.id} --type input-sent), or interrupt it: ccx interrupt ${this.id}`,
      );
    }
    this.waitingTextBytes += bytes;
    let held = true;
    return {
      dispose: () => {
        if (held) this.waitingTextBytes -= bytes;
        held = false;
      },
    };
  }

  /** Raw keystrokes from an attached client, through the same queue as `send`. */
  sendRaw(data: string | Buffer): Promise<void> {
    return this.input.run(async () => {
      if (!this.isRunning) return;
      this.attachInput.typed(Buffer.byteLength(data));
      this.writer?.write(data);
    });
  }

  /** Bytes of input waiting for the program to read them (beyond what the kernel holds). */
  get queuedInputBytes(): number {
    return this.writer?.queuedBytes ?? 0;
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
    const changed = cols !== this.record.cols || rows !== this.record.rows;
    this.record.cols = cols;
    this.record.rows = rows;
    if (changed) this.deps.bus.publish('session-resized', { sessionId: this.id, cols, rows });
  }

  /**
   * Writes the screen's answer to a terminal query, straight to the PTY
   * (not behind queued sends: the program is waiting for it). A program that
   * asks without reading its input would pile the answers up without end
   * (figures: docs/reliability.md): while the writer holds
   * MAX_QUEUED_ANSWER_BYTES unread, answers are dropped, and that is logged
   * once per episode.
   */
  /** Ends a streamed paste: the answers held while it was open are written now. */
  private closePaste(): void {
    this.pasteOpen = false;
    const held = this.heldAnswers.splice(0);
    for (const answer of held) this.answerQuery(answer);
  }

  private answerQuery(data: string): void {
    if (!this.isRunning || !this.writer) return;
    if (this.pasteOpen) {
      if (this.heldAnswers.length < MAX_HELD_ANSWERS) this.heldAnswers.push(data);
      return;
    }
    if (this.writer.queuedBytes >= MAX_QUEUED_ANSWER_BYTES) {
      if (!this.droppingAnswers) this.deps.logger.warn('terminal query answers dropped: the program does not read its input', { session: this.id });
      this.droppingAnswers = true;
      return;
    }
    this.droppingAnswers = false;
    this.writer.write(data);
  }

  private assertRunning(): void {
    if (!this.isRunning || !this.process) {
      throw new CcxError('E_NOT_RUNNING', `session ${this.label} is ${this.record.status}`, `start a new one with: ${this.restartCommand()}`);
    }
  }

  /** The `ccx start` line that starts this session's program again, quoted for the shell, with its name and preset. */
  restartCommand(): string {
    const { name, preset, command } = this.record;
    const options = [...(name ? ['--name', name] : []), ...(preset ? ['--preset', preset] : [])];
    return shellCommand(['ccx', 'start', ...options, '--', ...command]);
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
      waitingFor: this.isRunning ? this.waitingFor : null,
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
      attachedClients: this.clients.count,
      outputBytes: this.output.end,
      preset: r.preset,
      windowSize: this.windowSize,
      leftoverPids: this.leftoverPids,
    };
  }

  /** Frees in-memory state once a session is removed or the daemon stops. */
  dispose(): void {
    this.attachInput.flush();
    clearTimeout(this.idleTimer);
    clearInterval(this.agentPoll);
    this.agentPoll = undefined;
    clearTimeout(this.persistRetry);
    this.persistRetry = undefined;
    this.output.close();
    this.writer?.close();
    this.screenState?.dispose();
    this.screenState = undefined;
    this.terminal = undefined;
    this.outputListeners.clear();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Characters of sent text an `input-sent` event carries with `events.inputText: "preview"`. */
export const INPUT_PREVIEW_CHARS = 200;

/** `none`: neither text nor keys (their byte count is in `bytes`); `preview`: the first 200 characters; `full`: all of it. */
function inputTextFields(mode: InputTextMode, text: string | undefined, keys: string[]): { text?: string; keys?: string[] } {
  if (mode === 'none') return {};
  return {
    text: text === undefined ? undefined : mode === 'full' ? text : truncate(text, INPUT_PREVIEW_CHARS),
    keys: keys.length ? keys : undefined,
  };
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
