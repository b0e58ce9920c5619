import { MAX_OUTPUT_CHUNK_BYTES, PlainText, setLongTimeout, type WaitReason, type WaitResult } from '@ccx/shared';
import { DisposableStore, type Disposable } from '../disposable.js';
import type { EventBus } from '../events/event-bus.js';
import type { RemoteScreen } from '../session/remote-screen.js';
import { idleSince } from '../session/agent-state.js';
import type { Session } from '../session/session.js';
import { screenNow } from '../session/screen-marks.js';
import { extractAnswer, matchEcho } from './answer.js';
import { DrawnTranscript, screenAnswer } from './screen-answer.js';
import type { WaitPattern, WaitSpec } from './wait-spec.js';

/**
 * Plain text kept per wait: the tail of the output the pattern is matched
 * against and the answer is cut from. Bounded so a flood cannot grow the
 * daemon, and so the captured answer fits in one protocol frame.
 */
export const MAX_WAIT_TEXT_CHARS = 256 * 1024;
/** A pattern is re-tested over the new text plus this much before it, so a match may span chunks. */
const MATCH_OVERLAP_CHARS = 16 * 1024;
/** How far before the mark to look for the start of the line the mark is in. */
const LINE_LOOKBACK_BYTES = 4 * 1024;
/** Reading a long backlog yields to the event loop this often, so other clients are not held up. */
const BACKLOG_YIELD_BYTES = 1024 * 1024;

type Match = NonNullable<WaitResult['match']>;

/**
 * Waits, where the bytes are, for a condition on a session's output — in two
 * stages, as expect users learned: first for output to begin after the mark
 * (a prompt still on screen from before must not count as the answer), then
 * for the pattern, the prompt, a quiet spell, or the exit. Output between the
 * mark and the moment the wait began is read back from the log, so nothing
 * is missed however late the request arrives.
 */
export class Waiter implements Disposable {
  private readonly plain = new PlainText();
  /** Completed lines of plain text since the mark (the last MAX_WAIT_TEXT_CHARS). */
  private text = '';
  private testedUpTo = 0;
  private cursor = 0;
  private mark = 0;
  private sawOutput = false;
  /** The part of the line before the mark (a prompt, usually); not new output. */
  private prefix = '';
  private sawNewline = false;
  /** Text was dropped from the start of `text` to keep it bounded: an answer cut from it is incomplete. */
  private truncated = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private screenCheck: 'idle' | 'running' | 'again' = 'idle';
  private finished = false;
  /** While the backlog is read, live output is left to the backlog reader (it is in the log too). */
  private catchingUp = false;
  private endedSeen = false;
  private startedAt = 0;
  /** The program's own state said busy since the mark: its next idle is the end of this turn. */
  private sawAgentBusy = false;
  /** The turn had already ended (or stopped to ask) when this wait began: it ends once the backlog is read. */
  private endedBeforeStart: 'turn-end' | 'waiting' | undefined;
  /** For a program that draws its answers: the screen at the mark, and the text sent there (its echo is not the answer). */
  private drawnBefore: Promise<string | null> | undefined;
  private transcript: DrawnTranscript | undefined;
  private drawnSent: string | undefined;
  /** When output last came (epoch ms), for the quiet after a turn's end. */
  private lastOutputAt = 0;
  private readonly subscriptions = new DisposableStore();
  private settle!: (result: WaitResult | undefined) => void;

  constructor(
    private readonly session: Session,
    private readonly bus: EventBus,
    private readonly spec: WaitSpec,
  ) {}

  /** Resolves with the outcome, or undefined when `abandon` was called first. */
  run(): Promise<WaitResult | undefined> {
    const done = new Promise<WaitResult | undefined>((resolve) => (this.settle = resolve));
    this.startedAt = Date.now();
    const { output } = this.session;
    this.mark = this.cursor = Math.max(this.spec.from ?? output.end, output.start);
    this.primeLine();
    if (this.spec.reading) {
      // The screen at the send that wrote at (or last before) the mark; no such send (now, or before any): the screen now.
      const noted = this.spec.from !== undefined ? this.session.screenMarks.atOrBefore(this.spec.from) : undefined;
      this.drawnBefore = noted?.screen ?? screenNow(this.session.screen, false);
      this.drawnSent = this.spec.echo ?? noted?.sent;
    }
    if (this.spec.timeoutMs !== undefined) {
      // Any length: a plain setTimeout past ~24.8 days would fire at once.
      this.subscriptions.add(setLongTimeout(() => void this.finish('timeout'), this.spec.timeoutMs));
    }
    this.subscriptions.add({ dispose: () => clearTimeout(this.idleTimer) });
    this.subscriptions.add(
      this.session.onOutput((chunk, end) => {
        if (this.catchingUp || end <= this.cursor) return;
        const start = end - chunk.length;
        if (start > this.cursor) return this.catchUp();
        const fresh = start < this.cursor ? chunk.subarray(this.cursor - start) : chunk;
        // Before feeding: a wait that ends inside feed reports the cursor as its offset.
        this.cursor = end;
        this.feed(fresh);
      }),
    );
    this.subscriptions.add(
      this.bus.subscribe(
        (event) => {
          if (event.sessionId === this.session.id) void this.ended();
        },
        ['process-exit', 'session-removed'],
      ),
    );
    if (this.spec.agentTurn) {
      const now = this.session.agentActivity;
      if (now?.activity === 'busy') this.sawAgentBusy = true;
      // The turn may have ended while the prompt's submission was checked, before this wait began.
      else if (now && now.since !== null && this.spec.agentSince !== undefined && now.since >= this.spec.agentSince) {
        if (now.activity === 'waiting') this.endedBeforeStart = 'waiting';
        else if (idleSince(now, this.spec.agentSince)) this.endedBeforeStart = 'turn-end';
      }
      this.subscriptions.add(
        this.session.onAgentState((state) => {
          // A status set since this wait began belongs to this turn (a quick one may go busy → idle between two reads);
          // an idle one only after the prompt was taken (idleSince: Claude Code's start-up idle can come late).
          const since = this.spec.agentSince ?? this.startedAt;
          if (state.activity === 'busy') {
            this.sawAgentBusy = true;
            clearTimeout(this.idleTimer);
          } else if (state.activity === 'waiting' && (this.sawAgentBusy || (state.since !== null && state.since >= since))) void this.finish('waiting');
          else if (state.activity === 'idle' && (this.sawAgentBusy || idleSince(state, since))) void this.finish('turn-end');
        }),
      );
    }
    void this.readBacklog().then(() => {
      // Once what it printed is read: the answer is captured whole.
      if (this.endedBeforeStart) void this.finish(this.endedBeforeStart);
      else if (!this.session.isRunning) void this.ended();
      else if (this.sawOutput || this.spec.screenFirst || this.spec.patterns?.on === 'drawn') this.checkScreen();
    });
    return done;
  }

  /**
   * Reads the output from the mark to the end of the log, yielding now and
   * then. Live chunks are ignored meanwhile: they are in the log, and the
   * loop stops only when it has reached the log's end, in the same turn as
   * it hands over to the live listener — so nothing falls in between.
   */
  private async readBacklog(): Promise<void> {
    this.catchingUp = true;
    try {
      let sinceYield = 0;
      for (;;) {
        if (this.finished) return;
        const n = this.readChunk();
        if (n === 0) return;
        sinceYield += n;
        if (sinceYield >= BACKLOG_YIELD_BYTES) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.catchingUp = false;
    }
  }

  /** The client went away: stop listening, report nothing. */
  dispose(): void {
    if (this.finished) return;
    this.finished = true;
    this.subscriptions.dispose();
    this.settle(undefined);
  }

  /**
   * Feeds the start of the line the mark falls in, so that line editing
   * after the mark (readline returning to column 0 and redrawing the prompt
   * and the echoed text) lands where it did on the real terminal.
   */
  private primeLine(): void {
    if (this.mark === 0) return;
    let before: Buffer;
    try {
      const start = Math.max(this.session.output.start, this.mark - LINE_LOOKBACK_BYTES);
      before = this.session.output.read(start, this.mark - start).data;
    } catch {
      return;
    }
    this.plain.push(before.subarray(before.lastIndexOf(0x0a) + 1));
    this.prefix = this.plain.partial;
  }

  /** Plain text since the mark: completed lines, then the line being written, without the part before the mark. */
  private newText(): string {
    const full = this.text + this.plain.partial;
    return this.prefix && full.startsWith(this.prefix) ? full.slice(this.prefix.length) : full;
  }

  /** The new text since the last test, plus some before it so a match may span chunks. */
  private matchWindow(): string {
    const from = Math.max(0, this.testedUpTo - MATCH_OVERLAP_CHARS);
    this.testedUpTo = this.text.length;
    return from > 0 ? this.text.slice(from) + this.plain.partial : this.newText();
  }

  private catchUp(): void {
    while (this.readChunk() > 0);
  }

  /** Feeds the next chunk of the log after the cursor; returns its size (0: at the end). */
  private readChunk(): number {
    let chunk;
    try {
      chunk = this.session.output.read(this.cursor, MAX_OUTPUT_CHUNK_BYTES);
    } catch {
      return 0; // removed with its files while we waited
    }
    if (chunk.data.length === 0) return 0;
    this.cursor = chunk.offset + chunk.data.length;
    this.feed(chunk.data);
    return chunk.data.length;
  }

  private feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.lastOutputAt = Date.now();
    const lines = this.plain.push(chunk);
    if (lines) this.sawNewline = true;
    this.appendText(lines);
    this.sawOutput = true;
    if (this.finished) return;
    const { patterns, prompt, idleMs } = this.spec;
    if (patterns?.on === 'output') {
      const m = firstMatch(patterns.list, this.matchWindow());
      if (m) return void this.finish(patterns.reason, m);
    }
    // A prompt counts once it is on a new line: the one before the mark (still the current line until output breaks it) is not the answer.
    if (prompt && (this.sawNewline || this.prefix === '') && prompt.test(this.plain.partial) && !this.echoPending()) return void this.finish('prompt');
    // While the program says it is busy with this turn, a quiet spell is not its end (a tool that runs long draws nothing).
    if (idleMs !== undefined && !(this.sawAgentBusy && this.session.agentActivity)) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => void this.onIdle(idleMs), idleMs);
    }
    this.checkScreen();
  }

  private appendText(lines: string): void {
    if (lines.length === 0) return;
    this.text += lines;
    let excess = this.text.length - MAX_WAIT_TEXT_CHARS;
    if (excess > 0) {
      // Whole lines only: a cut-off line would read like output the program never wrote.
      const lineEnd = this.text.indexOf('\n', excess);
      if (lineEnd >= 0 && lineEnd < this.text.length - 1) excess = lineEnd + 1;
      this.text = this.text.slice(excess);
      this.prefix = '';
      this.truncated = true;
      this.testedUpTo = Math.max(0, this.testedUpTo - excess);
    }
  }

  /**
   * Tests the pattern against the rendered screen once the terminal has
   * parsed what arrived so far. Checks never overlap: output arriving during
   * one only asks for another after it.
   */
  private checkScreen(): void {
    const { patterns } = this.spec;
    const onScreen = patterns && patterns.on !== 'output' ? patterns : undefined;
    // An answer taken from the screen follows every screen, so what scrolls off the top on the way is kept.
    const tracking = this.spec.reading !== undefined && this.spec.capture === 'output';
    if ((!onScreen && !tracking) || this.finished) return;
    // What was drawn since the mark is new by construction; a screen pattern waits for output after it (or is tested at once, screenFirst).
    if (onScreen?.on === 'screen' && !this.sawOutput && !this.spec.screenFirst) return;
    if (this.screenCheck !== 'idle') {
      this.screenCheck = 'again';
      return;
    }
    const screen = this.session.screen;
    if (!screen) return;
    this.screenCheck = 'running';
    const check = onScreen ? this.screenMatch(screen, onScreen.list) : this.drawnText(screen).then(() => null);
    void check.then((m) => {
      const again = this.screenCheck === 'again';
      this.screenCheck = 'idle';
      if (this.finished) return;
      if (m && onScreen) return void this.finish(onScreen.reason, m);
      if (again) this.checkScreen();
    });
  }

  /** The pattern run on the screen (or on what was drawn on it since the mark) once it has parsed the output so far; null if the session's screen went (removed) or could not answer. */
  private async screenMatch(screen: RemoteScreen, list: WaitPattern[]): Promise<Match | null> {
    const text = this.spec.patterns?.on === 'drawn' ? await this.drawnText(screen) : await parsedText(screen);
    return this.session.screen === screen && text !== null ? firstMatch(list, text) : null;
  }

  /** What the program drew since the mark, without the echo and its input box (screen-answer.ts); null if the screen could not say. */
  /**
   * A quiet spell. For a program that draws its answers and says nothing of
   * its turns (Codex), quiet before anything new is drawn is a slow start
   * (a loaded machine), not the answer: the quiet is timed again from now,
   * until something is drawn or the wait's own timeout ends it.
   */
  private async onIdle(idleMs: number): Promise<void> {
    if (this.finished) return;
    const screen = this.session.screen;
    if (this.spec.capture === 'output' && this.spec.reading && screen) {
      const drawn = await this.drawnText(screen);
      if (this.finished) return;
      if (drawn === null || screenAnswer(drawn, this.spec.reading) === '') {
        clearTimeout(this.idleTimer);
        this.idleTimer = setTimeout(() => void this.onIdle(idleMs), idleMs);
        return;
      }
    }
    void this.finish('idle');
  }

  private async drawnText(screen: RemoteScreen): Promise<string | null> {
    const [before, now] = await Promise.all([this.drawnBefore ?? Promise.resolve(null), screenNow(screen)]);
    if (now === null) return null;
    // Every screen seen is laid over the last: what scrolled off the top in between stays in the transcript.
    this.transcript ??= new DrawnTranscript(before ?? '', this.spec.reading ?? {});
    this.transcript.update(now);
    return this.transcript.drawn(this.drawnSent);
  }

  /**
   * True while the new output is still the echo of a multi-line send: a
   * REPL's `... ` between echoed lines is not its answer yet (only the
   * prompt after the whole echo is). A program that does not echo, or
   * printed something else, makes this false at once.
   */
  private echoPending(): boolean {
    const { echo, echoPrompt, echoEnter } = this.spec;
    if (echo === undefined || !echo.includes('\n') || this.truncated) return false;
    return matchEcho(this.newText(), echo, echoPrompt, echoEnter).state === 'partial';
  }

  /** The program exited (or the session was removed): last output first, then the verdict. */
  private async ended(): Promise<void> {
    // Once, and after the backlog: that reader calls this again when it is done.
    if (this.finished || this.endedSeen || this.catchingUp) return;
    this.endedSeen = true;
    this.catchUp();
    if (this.finished) return;
    const { patterns } = this.spec;
    const screen = this.session.screen;
    if (patterns && patterns.on !== 'output' && (this.sawOutput || this.spec.screenFirst || patterns.on === 'drawn') && screen) {
      const m = await this.screenMatch(screen, patterns.list);
      if (this.finished) return;
      if (m) return this.finish(patterns.reason, m);
    }
    return this.finish(this.spec.exit ? 'exit' : 'ended');
  }

  private async finish(reason: WaitReason, match: Match | null = null): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.subscriptions.dispose();
    const r = this.session.record;
    const result: WaitResult = {
      session: this.session.id,
      reason,
      met: reason !== 'timeout' && reason !== 'ended',
      from: this.mark,
      offset: this.cursor,
      elapsedMs: Date.now() - this.startedAt,
      match,
      status: r.status,
      exitCode: r.exitCode,
      signal: r.signal,
    };
    if (this.spec.capture === 'output' && this.spec.reading) {
      // A program that draws its answers: the answer is what it drew, not the text lines it left in the output.
      // Its state may say the turn ended a moment before its last frame is drawn: that frame is waited for.
      if (reason === 'turn-end' || reason === 'waiting') await outputQuiet(this.session, this.lastOutputAt);
      const screen = this.session.screen;
      const drawn = screen ? await this.drawnText(screen) : null;
      result.output = drawn === null ? '' : screenAnswer(drawn, this.spec.reading);
    } else if (this.spec.capture === 'output') {
      result.output = extractAnswer(this.newText(), this.spec.echo, this.spec.trailingPrompt, this.spec.echoPrompt, this.spec.echoEnter);
      if (this.truncated) result.truncated = true;
    } else if (this.spec.capture === 'screen') {
      const screen = this.session.screen;
      if (screen) {
        const text = await parsedText(screen);
        result.screen = this.session.screen ? (text ?? '') : '';
      } else {
        result.screen = '';
      }
    }
    this.settle(result);
  }
}

/** Output quiet for this long after the agent said its turn ended: its last frame is drawn. */
const AFTER_TURN_QUIET_MS = 100;
/** Longest wait for that quiet (a spinner that never stops). */
const AFTER_TURN_MAX_MS = 1_000;
const QUIET_POLL_MS = 20;

/** Resolves once no output came for AFTER_TURN_QUIET_MS (counted from `lastOutputAt`), or after AFTER_TURN_MAX_MS. */
async function outputQuiet(session: Session, lastOutputAt: number): Promise<void> {
  const deadline = Date.now() + AFTER_TURN_MAX_MS;
  let end = session.output.end;
  let quietSince = lastOutputAt;
  while (Date.now() < deadline && Date.now() - quietSince < AFTER_TURN_QUIET_MS) {
    await new Promise((resolve) => setTimeout(resolve, QUIET_POLL_MS));
    if (session.output.end !== end) {
      end = session.output.end;
      quietSince = Date.now();
    }
  }
}

/** The screen's text once the output so far is parsed; null when the worker could not say (it died, or did not answer in time). */
function parsedText(screen: RemoteScreen): Promise<string | null> {
  return screen.text().catch(() => null);
}

/** The earliest match of any pattern in the text (on a tie, the first pattern), as pexpect picks. */
function firstMatch(list: WaitPattern[], text: string): Match | null {
  let best: { m: RegExpExecArray; p: WaitPattern } | undefined;
  for (const p of list) {
    const m = p.re.exec(text);
    if (m && (!best || m.index < best.m.index)) best = { m, p };
  }
  if (!best) return null;
  return { text: best.m[0], groups: best.m.slice(1).map((g) => g ?? null), index: best.p.index, pattern: best.p.source };
}
