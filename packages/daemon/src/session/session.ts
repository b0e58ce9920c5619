import { CcxError, DEFAULT_WINDOW_SIZE, MAX_WAITING_TEXT_BYTES, shellCommand, type SendResult, type SessionInfo, type WindowSizePolicy } from '@ccx/shared';
import type { InputTextMode } from '../config/settings.js';
import { DisposableStore, type Disposable } from '../disposable.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { readProcStat } from '../process/proc.js';
import { SESSION_ENV_MARKER, type ProcessScope, type SessionProcessIdentity } from '../process/session-processes.js';
import type { SessionStore } from '../store/session-store.js';
import { ActivityTracker, systemClock } from './activity-tracker.js';
import { ClaudeStateReader, isClaudeSession, type AgentActivity } from './agent-state.js';
import { AttachedClients } from './attached-clients.js';
import { signalName as nameOfSignal, type BackendExit } from './backend.js';
import type { InputPlan } from './input-plan.js';
import { OutputLog } from './output-log.js';
import { OutputLogWriter } from './output-log-writer.js';
import { PtyBackend } from './pty-backend.js';
import { PtyInput } from './pty-input.js';
import type { RemoteScreen } from './remote-screen.js';
import type { ScreenHost } from './screen-host.js';
import { sessionInfo } from './session-info.js';
import { ENDED_STATUSES, type SessionRecord } from './session-record.js';
import { checkCwd, resolveExecutable } from './spawn-check.js';
import { SessionStatusMachine } from './status-machine.js';
import { TurnQueue } from './turn-queue.js';
import { ScreenMarks } from './screen-marks.js';

export type { StreamedText } from './input-plan.js';

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

/**
 * One program in a PTY, with its screen, output log and input queue: the
 * PTY session kind. What every kind shares has its own module: the record's
 * status (status-machine.ts), activity (activity-tracker.ts), input plans
 * (input-plan.ts), the output log's failure policy (output-log-writer.ts),
 * the info() view (session-info.ts); the PTY itself is pty-backend.ts and
 * its input pty-input.ts. The record is saved on every status change so a
 * daemon restart keeps it.
 */
export class Session implements Disposable {
  /** The running program; undefined before spawn and after its exit. */
  private backend: PtyBackend | undefined;
  /** The PTY until the session is freed: its slave's path names the session's terminal while the master is open. */
  private terminal: PtyBackend | undefined;
  /**
   * Processes of an ended session that outlived its program (daemonized
   * children), as last found; undefined until looked for, so an exit costs no
   * /proc scan of its own (`list` looks for many sessions in one).
   */
  private leftovers: number[] | undefined;
  private screenState: RemoteScreen | undefined;
  readonly output: OutputLog;
  private readonly logWriter: OutputLogWriter;
  /** Every status change of the record, whatever the kind (a structured agent session's too). */
  protected readonly status: SessionStatusMachine;
  /** Busy/idle/waiting, whatever the kind: from output, Claude Code's state file, or a protocol (agent-session.ts). */
  protected readonly activityTracker: ActivityTracker;
  private readonly input: PtyInput;
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
  private readonly outputListeners = new Set<OutputListener>();
  private readonly exitWaiters = new Set<() => void>();
  /** What this session holds, freed in reverse by dispose(). */
  private readonly parts = new DisposableStore();
  /** Set once a cancel starts: the exit then counts as `cancelled`. */
  cancelRequested = false;
  /** The terminals attached right now; they size the window under its window-size policy. */
  readonly clients: AttachedClients;

  constructor(
    readonly record: SessionRecord,
    private readonly deps: SessionDeps,
  ) {
    this.output = new OutputLog(deps.store.dirOf(record.id), deps.outputLogBytes);
    this.parts.add({ dispose: () => this.output.close() });
    this.logWriter = new OutputLogWriter(this.output, { sessionId: record.id, bus: deps.bus, logger: deps.logger, now: deps.now });
    this.status = this.parts.add(new SessionStatusMachine(record, deps));
    this.activityTracker = this.parts.add(
      new ActivityTracker({ clock: systemClock(deps.now), idleAfterMs: deps.idleAfterMs, onChange: (activity, waitingFor) => this.status.activity(activity, waitingFor) }),
    );
    const session = this;
    this.input = new PtyInput({
      id: record.id,
      get label() {
        return session.label;
      },
      bus: deps.bus,
      logger: deps.logger,
      now: deps.now,
      inputText: deps.inputText ?? 'none',
      writer: () => this.backend?.input,
      isRunning: () => this.isRunning,
      assertRunning: () => this.assertRunning(),
      bracketedPaste: () => this.screenState!.bracketedPaste(),
      outputEnd: () => this.output.end,
      markInput: (offset) => (this.inputMark = offset),
      enterDelayMs: () => this.record.enterDelayMs,
    });
    this.parts.add({ dispose: () => this.input.flush() });
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

  /** What the program itself says it is doing (Claude Code's state file), when it says. */
  get agentActivity(): AgentActivity | undefined {
    return this.isRunning ? this.activityTracker.agent : undefined;
  }

  /** What finds the session's processes (session-processes.ts); the PTY's slave only while its master is open. */
  get identity(): SessionProcessIdentity {
    return {
      sessionId: this.id,
      pid: this.record.pid ?? undefined,
      startTime: this.record.processStartTime ?? undefined,
      pts: this.terminal?.terminalPath,
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
    let backend: PtyBackend;
    try {
      checkCwd(this.record.cwd);
      const file = resolveExecutable(command, this.record.cwd, env.PATH);
      const cgroups = this.deps.processes.cgroups;
      backend = PtyBackend.spawn({
        file,
        args,
        cwd: this.record.cwd,
        env,
        cols: this.record.cols,
        rows: this.record.rows,
        umask,
        around: cgroups
          ? (fork) => cgroups.bornInside(this.id, fork, (error) => this.deps.logger.warn('session cgroup unusable; its processes are found by the fallbacks', { session: this.id, error: String(error) }))
          : undefined,
      });
    } catch (error) {
      const failure =
        error instanceof CcxError ? error : new CcxError('E_SPAWN', `could not start ${command}: ${(error as Error).message}`, 'check the command and its permissions');
      this.status.failed(failure);
      throw failure;
    }
    this.backend = this.terminal = backend;
    this.parts.add(backend);
    const screen = (this.screenState = this.deps.screens.open(this.record.cols, this.record.rows));
    this.parts.add({ dispose: () => (screen.dispose(), (this.screenState = undefined)) });
    // Answers to the program's terminal queries go straight to its input, not
    // behind queued sends: the program is waiting for them. The daemon is the
    // one terminal that answers (attach keeps the attached ones quiet).
    this.parts.add(screen.onReply((data) => this.input.answerQuery(data)));
    this.status.started(backend.pid, readProcStat(backend.pid)?.startTime ?? null);
    this.parts.add(backend.onData((chunk) => this.handleOutput(chunk)));
    // Not disposed with the session: a program still running when the daemon frees it has its end recorded.
    backend.onExit((exit) => this.handleExit(exit));
    this.deps.bus.publish('session-started', { sessionId: this.id, pid: backend.pid, command: this.record.command });
    if (env.HOME && isClaudeSession(this.record.command, this.record.preset)) {
      const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
      const reader = new ClaudeStateReader(env.HOME, backend.pid, uid);
      this.parts.add(this.activityTracker.watchAgentState(() => reader.read()));
    }
  }

  private handleOutput(chunk: Buffer): void {
    const logged = this.logWriter.append(chunk);
    this.screenState?.write(chunk);
    this.activityTracker.output();
    // Followers read from the log: a chunk it could not take has nothing for them.
    if (logged) this.emitOutput(chunk);
  }

  /** Tells output listeners (followers) and the bus of `chunk`, just appended to the output log: every session kind's output goes through here. */
  protected emitOutput(chunk: Buffer): void {
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

  private handleExit({ exitCode, signal }: BackendExit): void {
    // Keystrokes typed just before the end are reported before the exit.
    this.input.flush();
    this.activityTracker.stop();
    const signalName = nameOfSignal(signal);
    this.output.close();
    this.backend?.closeInput();
    // What the program left running (a `setsid -f` child) stays until cancel, rm or daemon stop; `list` shows it.
    this.leftovers = undefined;
    this.status.ended({ exitCode, signalName, cancelled: this.cancelRequested });
    this.backend = undefined;
    this.notifyExited();
  }

  /** Wakes every `waitForExit`: the program has exited (a kind calls it once its exit is recorded). */
  protected notifyExited(): void {
    for (const waiter of this.exitWaiters) waiter();
    this.exitWaiters.clear();
  }

  /** A record restored as running: the daemon that ran it died (session-manager.ts restore). */
  markLost(error: string): void {
    this.status.lost(error);
  }

  /** A record salvaged from a directory without readable metadata: saved and announced as lost. */
  announceSalvaged(): void {
    this.status.salvagedLost();
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
    return this.activityTracker.watchesAgent;
  }

  /** Each change of what the program says it is doing (see agentActivity). */
  onAgentState(listener: (state: AgentActivity) => void): Disposable {
    return this.activityTracker.onAgentState(listener);
  }

  onOutput(listener: OutputListener): Disposable {
    this.outputListeners.add(listener);
    return { dispose: () => this.outputListeners.delete(listener) };
  }

  /** Live output listeners and exit waiters: leak checks read them through `daemon status`. */
  listenerCounts(): { output: number; exit: number } {
    return { output: this.outputListeners.size, exit: this.exitWaiters.size };
  }

  /** Carries out an input plan (input-plan.ts) on the PTY: see PtyInput.send. */
  send(plan: InputPlan): Promise<SendResult> {
    return this.input.send(plan);
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
    return this.input.sendRaw(data);
  }

  /** Bytes of input waiting for the program to read them (beyond what the kernel holds). */
  get queuedInputBytes(): number {
    return this.backend?.input.queuedBytes ?? 0;
  }

  resize(cols: number, rows: number): void {
    if (!this.backend) return;
    try {
      this.backend.resize(cols, rows);
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

  private assertRunning(): void {
    if (!this.isRunning || !this.backend) {
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

  /** Saves the record, retried while the disk refuses it (status-machine.ts). */
  persist(): void {
    this.status.save();
  }

  info(): SessionInfo {
    return sessionInfo(this.record, {
      running: this.isRunning,
      activity: this.activityTracker.activity,
      waitingFor: this.activityTracker.waitingFor,
      attachedClients: this.clients.count,
      outputBytes: this.output.end,
      windowSize: this.windowSize,
      leftoverPids: this.leftoverPids,
    });
  }

  /** Frees in-memory state once a session is removed or the daemon stops: its parts, in reverse. */
  dispose(): void {
    this.parts.dispose();
    this.terminal = undefined;
    this.outputListeners.clear();
  }
}
