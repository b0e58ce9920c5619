import { CcxError, MAX_OUTPUT_CHUNK_BYTES, type OutputFrame, type OutputStreamEnd } from '@ccx/shared';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { stream, type HandlerTable, type StreamSink } from '../router.js';
import { followOutput } from '../session/log-follower.js';
import type { SessionManager } from '../session/session-manager.js';
import { finishStream, streamEnd } from './watch-handlers.js';

/** Sends the replay of the screen in frames of at most MAX_OUTPUT_CHUNK_BYTES. */
async function sendReplay(sink: StreamSink, replay: string): Promise<void> {
  const bytes = Buffer.from(replay, 'utf8');
  for (let at = 0; at < bytes.length && !sink.closed; at += MAX_OUTPUT_CHUNK_BYTES) {
    const data = bytes.subarray(at, at + MAX_OUTPUT_CHUNK_BYTES).toString('base64');
    if (!sink.send({ k: 'screen', data } satisfies OutputFrame)) await sink.drained();
  }
}

/** attach: replay the screen, stream live output, take keystrokes and window sizes. */
export function attachHandlers(sessions: SessionManager, bus: EventBus, logger: Logger): HandlerTable {
  return {
    'session.attach': stream(async (params, ctx, sink) => {
      const session = sessions.resolve(params.target);
      const screen = session.screen;
      if (!session.isRunning || !screen) {
        throw new CcxError('E_NOT_RUNNING', `session ${session.label} is ${session.record.status}`, `its output is kept: ccx logs ${session.id}`);
      }
      // `attach -d`: the others go first, so their sizes no longer count for this one's window.
      if (params.detachOthers) session.clients.detachAll();
      const readOnly = params.readOnly ?? false;
      const streamId = `${ctx.conn.id}.${ctx.requestId}`;
      // Detached by another command: the stream ends as a detach would, and the session keeps running.
      const detach = (): void => sink.end({ ...streamEnd(session, session.output.end), detached: true } satisfies OutputStreamEnd);
      const client = session.clients.add({ readOnly, cols: params.cols, rows: params.rows, detach });
      bus.publish('client-attached', { sessionId: session.id, client: streamId, readOnly, cols: params.cols, rows: params.rows });
      sink.onClose(() => {
        session.clients.remove(client);
        bus.publish('client-detached', { sessionId: session.id, client: streamId });
      });
      sink.onInput((data) => {
        if (readOnly) return;
        session.clients.input(client);
        session.sendRaw(data).catch((error) => logger.warn('attach input failed', { session: session.id, error: String(error) }));
      });
      sink.onResize((cols, rows) => session.clients.resized(client, cols, rows));

      sink.send({ k: 'start', session: session.info(), from: session.output.end, logStart: session.output.start } satisfies OutputFrame);
      // The log offset is taken in the same turn as the parse marker is
      // queued, so the replay shows exactly the output before `offset` and
      // live output resumes right after it: nothing missed, nothing twice.
      const offset = session.output.end;
      const replay = await screen.replay();
      await sendReplay(sink, replay);
      const result = await followOutput(session, bus, sink, { from: offset, follow: true });
      finishStream(session, sink, result);
    }),
  };
}
