import { CcxError, type OutputFrame, type OutputStreamEnd, type ScreenResult } from '@ccx/shared';
import type { EventBus } from '../events/event-bus.js';
import { streamOn, unaryOn, type HandlerTable, type StreamSink } from '../router.js';
import { followOutput } from '../session/log-follower.js';
import { tailOffset } from '../session/log-tail.js';
import type { Session } from '../session/session.js';

/** How a session stands when an output stream ends. */
export function streamEnd(session: Session, offset: number): OutputStreamEnd {
  const { status, exitCode, signal } = session.record;
  return { offset, status, exitCode, signal };
}

/** Ends an output stream once following stopped; a removed session is an error, a closed stream needs nothing. */
export function finishStream(session: Session, sink: StreamSink, result: { offset: number; outcome: string }): void {
  if (result.outcome === 'closed') return;
  if (result.outcome === 'removed') {
    sink.fail(new CcxError('E_NOT_FOUND', `session ${session.label} was removed`, 'see the sessions with: ccx list --all'));
    return;
  }
  sink.end(streamEnd(session, result.offset));
}

/** screen, logs (and logs -f). */
export function watchHandlers(bus: EventBus): HandlerTable {
  return {
    'session.screen': unaryOn('session', async (params, { session }): Promise<ScreenResult> => {
      const screen = session.screen;
      if (!screen) {
        throw new CcxError(
          'E_NOT_RUNNING',
          `no screen for session ${session.label}: it ended before the daemon restarted, and screens live in the daemon's memory`,
          `its output is kept on disk: ccx logs ${session.id}`,
        );
      }
      const scrollback = params.scrollback ?? 0;
      const offset = session.output.end;
      const snapshot = await screen.snapshot(scrollback, params.ansi ?? false);
      return { session: session.id, ...snapshot, offset };
    }),
    'session.logs': streamOn('session', async (params, { session }, sink) => {
      // Before any await: input sent right after the request is handled after this turn.
      // A write to a session that has ended has nowhere to go, and is dropped.
      if (params.input) {
        sink.onInput((data) => void session.sendRaw(data).catch(() => undefined));
        // `run`'s terminal sizes the program like a typing client would, except under `manual`, where only `ccx resize` does.
        sink.onResize((cols, rows) => {
          if (session.windowSize !== 'manual') session.resize(cols, rows);
        });
      }
      const log = session.output;
      const until = log.end;
      let from = Math.max(params.since ?? 0, log.start);
      if (params.tail !== undefined) from = Math.max(from, tailOffset(log, params.tail, from));
      sink.send({ k: 'start', session: session.info(), from, logStart: log.start } satisfies OutputFrame);
      const result = await followOutput(session, bus, sink, { from, follow: params.follow ?? false, until });
      finishStream(session, sink, result);
    }),
  };
}
