import { CcxError, type TurnFrame, type TurnResult, type WaitResult } from '@ccx/shared';
import type { EventBus } from '../events/event-bus.js';
import type { PresetCatalog } from '../presets/preset-catalog.js';
import { streamOn, type HandlerTable, type StreamSink } from '../router.js';
import { planSend, type StreamedText } from '../session/input-plan.js';
import { screenNow } from '../session/screen-marks.js';
import { MAX_PRESSES, pressUntilTaken, promptInInputBox, tookPrompt, untilReady } from '../session/submit-check.js';
import { Waiter } from '../wait/waiter.js';
import { waitSpec } from '../wait/wait-spec.js';

/**
 * `session.turn`: what every CLI `send` is. It takes its place in the
 * session's turn queue, sends, and with `wait` keeps the turn until the
 * answer is in, so the next caller's text is written only after it. The
 * turn is given back when the stream ends, and when its client goes away.
 */
export function turnHandlers(bus: EventBus, presets: PresetCatalog): HandlerTable {
  return {
    'session.turn': streamOn('session', async (params, { session }, sink) => {
      const preset = presets.forSession(session.record.preset, params.preset);
      // Compiled before queueing: a bad pattern fails at once, not after someone else's turn.
      const spec = params.wait ? waitSpec({ ...params.wait, echo: params.text ?? '', capture: params.wait.capture ?? 'auto' }, preset) : undefined;
      // Inline text is held in the daemon while it waits: bounded per session. Streamed text is pulled only once it can be written.
      const held = session.holdText(Buffer.byteLength(params.text ?? ''));
      sink.onClose(() => held.dispose());
      const askedAt = Date.now();
      const gone = new AbortController();
      sink.onClose(() => gone.abort());
      const turn = await session.turns.acquire({
        noQueue: params.noQueue,
        timeoutMs: params.wait?.timeoutMs,
        signal: gone.signal,
        label: session.label,
        onQueued: (ahead) => sink.send({ k: 'queued', ahead } satisfies TurnFrame),
      });
      try {
        const text = params.textBytes !== undefined ? pulledText(sink, params.textBytes, gone.signal) : params.text;
        const plan = planSend({ ...params, text }, params.preset !== undefined ? preset : undefined);
        const { enter } = plan;
        // An agent TUI gets its prompt only once it can take it, and must be seen to take it (submit-check.ts).
        const agent = session.watchesAgentState && text !== undefined && enter;
        if (agent) await untilReady(session, preset);
        const sentAtMs = Date.now();
        // A program that draws its answers: the screen before the text, what a later wait compares with (screen-marks.ts).
        const before = preset.draws === 'screen' ? screenNow(session.screen, false) : undefined;
        const sent = await session.send(plan).finally(() => held.dispose());
        if (before) session.screenMarks.note(sent.offset, before, typeof text === 'string' ? text : undefined);
        if (agent) {
          const inBox = typeof text === 'string' ? () => promptInInputBox(session, preset.inputBox, text) : undefined;
          sent.resubmitted = ((await pressUntilTaken(session, 'Enter', () => tookPrompt(session, sentAtMs), 'resubmit', inBox)) ?? MAX_PRESSES) - 1;
        }
        if (!spec) return sink.end({ send: sent } satisfies TurnResult);
        spec.agentSince = sentAtMs;
        sink.send({ k: 'sent', send: sent } satisfies TurnFrame);
        spec.from = sent.offset;
        // --timeout bounds the whole turn: time spent waiting for it counts.
        if (spec.timeoutMs !== undefined) spec.timeoutMs = Math.max(0, spec.timeoutMs - (Date.now() - askedAt));
        // Streamed text is not kept for echo removal (a wait keeps 256 Ki characters anyway).
        spec.echo = params.text;
        spec.echoEnter = enter;
        const waiter = new Waiter(session, bus, spec);
        sink.onClose(() => waiter.dispose());
        const result: WaitResult | undefined = await waiter.run();
        if (!result) return;
        // The answer was read: a later `wait` without --from starts after it, as pexpect's next expect does.
        if (session.inputMark === sent.offset) {
          session.inputMark = result.offset;
          if (preset.draws === 'screen') session.screenMarks.note(result.offset, screenNow(session.screen, false));
        }
        if (!sink.closed) sink.end({ send: sent, wait: result } satisfies TurnResult);
      } finally {
        turn.dispose();
      }
    }),
  };
}

/** How long the daemon waits for each input frame it asked for. */
const CHUNK_WAIT_MS = 30_000;

/** Input frames a client may send ahead of being asked; more is a protocol error (the daemon would hold them all). */
const MAX_UNASKED_FRAMES = 4;

/**
 * Text that arrives as input frames: each `next()` asks the client for one
 * (`{k:'more'}`) and resolves with it, so at most one chunk is in flight and
 * the session's bounded queue is what paces the upload.
 */
export function pulledText(sink: StreamSink, bytes: number, gone: AbortSignal): StreamedText {
  const arrived: Buffer[] = [];
  let waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  const wentAway = (): CcxError => new CcxError('E_PROTOCOL', 'the client went away before all of the text arrived');
  let overrun: CcxError | undefined;
  sink.onInput((data) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w.resolve(data);
    } else if (arrived.length < MAX_UNASKED_FRAMES) arrived.push(data);
    else overrun ??= new CcxError('E_PROTOCOL', 'input frames came faster than asked for', 'send one input frame per {k:"more"} frame');
  });
  gone.addEventListener('abort', () => waiting?.reject(wentAway()), { once: true });
  return {
    bytes,
    next: () => {
      if (overrun) return Promise.reject(overrun);
      const ready = arrived.shift();
      if (ready) return Promise.resolve(ready);
      if (gone.aborted) return Promise.reject(wentAway());
      return new Promise<Buffer>((resolve, reject) => {
        // The session's input waits for this chunk (attach keys, interrupt too): a client that stops sending must not hold it for ever.
        const timer = setTimeout(() => {
          waiting = undefined;
          reject(new CcxError('E_TIMEOUT', `the next part of the text did not come within ${CHUNK_WAIT_MS / 1000} s`, 'the sending ccx stopped; send again'));
        }, CHUNK_WAIT_MS);
        waiting = { resolve: (b) => (clearTimeout(timer), resolve(b)), reject: (e) => (clearTimeout(timer), reject(e)) };
        sink.send({ k: 'more' } satisfies TurnFrame);
      });
    },
  };
}
