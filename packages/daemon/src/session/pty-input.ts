import { CcxError, MAX_INPUT_QUEUE_BYTES, type SendResult } from '@ccx/shared';
import type { InputTextMode } from '../config/settings.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { AttachInputEvents } from './attach-input-events.js';
import { InputQueue } from './input-queue.js';
import { hasText, inputTextFields, PASTE_END, PASTE_MARKER_BYTES, PASTE_START, tailBytes, textBytes, type InputPlan, type StreamedText } from './input-plan.js';
import type { PtyWriter } from './pty-write.js';

/**
 * A send that finds the input queue full waits while the program reads; it
 * is refused whole (E_BUSY, nothing sent) once the program has read none of
 * its input for this long.
 */
export const BUSY_AFTER_MS = 2_000;
/** A streamed send already under way is more patient: breaking a paste off in the middle is worse than waiting. */
export const INPUT_STALL_MS = 30_000;

/** Input bytes waiting for the program (the PTY's input is full) past which answers to terminal queries are dropped. */
const MAX_QUEUED_ANSWER_BYTES = 64 * 1024;
/** Answers held while a paste is open; a program asking more in that time gets the first ones. */
const MAX_HELD_ANSWERS = 64;

/** What the PTY input path needs of its session. */
export interface PtyInputHost {
  readonly id: string;
  readonly label: string;
  bus: EventBus;
  logger: Logger;
  now: () => Date;
  inputText: InputTextMode;
  /** The PTY's input while the program runs. */
  writer(): PtyWriter | undefined;
  isRunning(): boolean;
  /** Throws E_NOT_RUNNING once the program is gone. */
  assertRunning(): void;
  /** Whether the program asked for bracketed paste (its screen, once it parsed all output so far). */
  bracketedPaste(): Promise<boolean>;
  /** The end of the output log: where a send's answer starts. */
  outputEnd(): number;
  /** A send writes its text at `offset`: where a later `wait` without `from` starts. */
  markInput(offset: number): void;
  /** The session's own pause before Enter. */
  enterDelayMs(): number;
}

/**
 * Turns input plans (input-plan.ts) into bytes on a PTY: text (inside
 * bracketed-paste markers when the program asked for them), a pause, Enter,
 * keys — queued, so concurrent sends never interleave — and the answers to
 * the program's terminal queries, which go straight to its input.
 */
export class PtyInput {
  private readonly queue = new InputQueue();
  /** Between a streamed send's paste markers: terminal answers wait in `heldAnswers`. */
  private pasteOpen = false;
  private readonly heldAnswers: string[] = [];
  /** Set while answers to terminal queries are dropped (see answerQuery). */
  private droppingAnswers = false;
  private readonly attachInput: AttachInputEvents;

  constructor(private readonly host: PtyInputHost) {
    this.attachInput = new AttachInputEvents((bytes) => host.bus.publish('input-sent', { sessionId: host.id, bytes, source: 'attach' }));
  }

  /**
   * Pastes text, then — after a pause, as a separate write — Enter, then any
   * keys. Claude Code and Codex treat text and CR arriving together as a
   * paste and would never submit it. `paste: false` types the text instead:
   * the same bytes in one write, without markers, so a key-driven program
   * (vim, less) reads them as keys.
   *
   * The reply says what the kernel took (`written`) and what still waits in
   * the session's input queue (`queued`). Text that does not fit the queue
   * beside what is already waiting waits for room while the program reads,
   * and is refused whole (E_BUSY) when it does not, so a program that does
   * not read cannot make the daemon hold its input without bound; streamed
   * text waits for room chunk by chunk.
   */
  send(plan: InputPlan): Promise<SendResult> {
    const host = this.host;
    const tail = tailBytes(plan);
    return this.queue.run(async () => {
      host.assertRunning();
      // Asked of the screen once it has parsed all output so far: a program
      // that just switched bracketed paste on gets its markers.
      const bracketed = plan.paste !== false && (await host.bracketedPaste());
      // The program may have exited while the screen caught up (fuzz: a
      // TypeError from writing to the gone PTY, reported as E_INTERNAL).
      host.assertRunning();
      const writer = host.writer()!;
      const text = plan.text;
      if (typeof text === 'string' && text.length > 0) await this.awaitRoom(writer, Buffer.byteLength(text) + (bracketed ? PASTE_MARKER_BYTES : 0), 0, 0);
      const offset = host.outputEnd();
      host.markInput(offset);
      const startedAt = writer.submittedBytes;
      const writtenAt = host.now().toISOString();
      const withText = hasText(text);
      const plannedBytes = textBytes(text) + (withText && bracketed ? PASTE_MARKER_BYTES : 0) + tail.reduce((n, key) => n + Buffer.byteLength(key), 0);
      // Published just before the first byte is written: the program's echo
      // must never reach a follower ahead of the event that caused it, and a
      // send refused before it wrote anything (a streamed one that found no
      // room) leaves no event. `send --no-record` leaves none at all; the
      // text only when the user opted in (it may be a password).
      let published = false;
      const publish = (): void => {
        if (published || plan.record === false) return;
        published = true;
        host.bus.publish('input-sent', {
          sessionId: host.id,
          bytes: plannedBytes,
          // Streamed text (over 256 KiB) is never recorded: it is not held in one piece.
          ...inputTextFields(host.inputText, typeof text === 'string' ? text : undefined, plan.keys),
          enter: plan.enter,
          bracketedPaste: bracketed,
          source: plan.source ?? 'send',
        });
      };
      if (withText) {
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
          if (bracketed && opened && host.isRunning()) writer.write(PASTE_END);
          this.closePaste();
        }
      }
      publish();
      for (const key of tail) {
        if (writer.submittedBytes > startedAt) await delay(plan.enterDelayMs ?? host.enterDelayMs());
        host.assertRunning();
        writer.write(key);
      }
      const bytes = writer.submittedBytes - startedAt;
      const written = Math.min(bytes, Math.max(0, writer.acceptedBytes - startedAt));
      return { session: host.id, bytes, written, queued: bytes - written, bracketedPaste: bracketed, writtenAt, offset };
    });
  }

  /** Raw keystrokes from an attached client, through the same queue as `send`. */
  sendRaw(data: string | Buffer): Promise<void> {
    return this.queue.run(async () => {
      if (!this.host.isRunning()) return;
      this.attachInput.typed(Buffer.byteLength(data));
      this.host.writer()?.write(data);
    });
  }

  /**
   * Writes the screen's answer to a terminal query, straight to the PTY
   * (not behind queued sends: the program is waiting for it). A program that
   * asks without reading its input would pile the answers up without end
   * (figures: docs/reliability.md): while the writer holds
   * MAX_QUEUED_ANSWER_BYTES unread, answers are dropped, and that is logged
   * once per episode.
   */
  answerQuery(data: string): void {
    const writer = this.host.writer();
    if (!this.host.isRunning() || !writer) return;
    if (this.pasteOpen) {
      if (this.heldAnswers.length < MAX_HELD_ANSWERS) this.heldAnswers.push(data);
      return;
    }
    if (writer.queuedBytes >= MAX_QUEUED_ANSWER_BYTES) {
      if (!this.droppingAnswers) this.host.logger.warn('terminal query answers dropped: the program does not read its input', { session: this.host.id });
      this.droppingAnswers = true;
      return;
    }
    this.droppingAnswers = false;
    writer.write(data);
  }

  /** Reports keystrokes typed in attach that are not reported yet (before the exit, and when freed). */
  flush(): void {
    this.attachInput.flush();
  }

  /** Ends a streamed paste: the answers held while it was open are written now. */
  private closePaste(): void {
    this.pasteOpen = false;
    const held = this.heldAnswers.splice(0);
    for (const answer of held) this.answerQuery(answer);
  }

  /**
   * Waits until the queue can take `bytes` beside what already waits there
   * (an empty queue takes any one piece), as long as the program keeps
   * reading; E_BUSY once it has read nothing for BUSY_AFTER_MS (before any
   * of this send was written: nothing was sent) or INPUT_STALL_MS (after).
   */
  private async awaitRoom(writer: PtyWriter, bytes: number, sent: number, total: number): Promise<void> {
    const { id, label } = this.host;
    // The stall counts from the kernel's last progress, not from this call: behind a queue already stuck, a send is refused at once.
    while (writer.queuedBytes > 0 && writer.queuedBytes + bytes > MAX_INPUT_QUEUE_BYTES) {
      const stalledMs = writer.stalledMs();
      if (sent === 0 && stalledMs >= BUSY_AFTER_MS) {
        throw new CcxError(
          'E_BUSY',
          `session ${label} is not reading its input: ${writer.queuedBytes} bytes are still waiting for it (at most ${MAX_INPUT_QUEUE_BYTES} are kept)`,
          `nothing was sent; look at it (ccx screen ${id}) and send again once it reads, or interrupt it: ccx interrupt ${id}`,
        );
      }
      if (stalledMs >= INPUT_STALL_MS) {
        throw new CcxError('E_BUSY', `session ${label} read none of its input for ${INPUT_STALL_MS / 1000} s; ${sent} of ${total} bytes were sent`, `look at it: ccx screen ${id}`);
      }
      await writer.progress(Math.min(250, (sent === 0 ? BUSY_AFTER_MS : INPUT_STALL_MS) - stalledMs));
      this.host.assertRunning();
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
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
