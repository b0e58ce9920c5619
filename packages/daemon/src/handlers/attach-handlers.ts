import { CcxError, MAX_OUTPUT_CHUNK_BYTES, type AttachAllowKind, type OutputFrame, type OutputStreamEnd } from '@ccx/shared';
import { OutputFilter } from '../attach/output-filter.js';
import { REPLY_HOLD_MS, ReplyFilter } from '../attach/reply-filter.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { streamOn, type HandlerTable, type StreamSink } from '../router.js';
import { followOutput } from '../session/log-follower.js';
import { finishStream, streamEnd } from './watch-handlers.js';

/** Sends the replay of the screen, through the client's output filter, in frames of at most MAX_OUTPUT_CHUNK_BYTES. */
async function sendReplay(sink: StreamSink, replay: string, filter: OutputFilter): Promise<void> {
  const bytes = filter.push(Buffer.from(replay, 'utf8'));
  for (let at = 0; at < bytes.length && !sink.closed; at += MAX_OUTPUT_CHUNK_BYTES) {
    const data = bytes.subarray(at, at + MAX_OUTPUT_CHUNK_BYTES);
    if (!sink.send({ k: 'screen', data } satisfies OutputFrame)) await sink.drained();
  }
}

/** attach: replay the screen, stream live output, take keystrokes and window sizes. */
export function attachHandlers(bus: EventBus, logger: Logger, configuredAllow: () => AttachAllowKind[]): HandlerTable {
  return {
    'session.attach': streamOn('running', async (params, ctx, sink) => {
      const { session } = ctx;
      const screen = session.screen;
      // A running session always has one; a session restored from disk has none, and is not running.
      if (!screen) {
        throw new CcxError('E_NOT_RUNNING', `session ${session.label} is ${session.record.status}`, `its output is kept: ccx logs ${session.id}`);
      }
      // `attach -d`: the others go first, so their sizes no longer count for this one's window.
      if (params.detachOthers) session.clients.detachAll();
      const readOnly = params.readOnly ?? false;
      const streamId = `${ctx.conn.id}.${ctx.requestId}`;
      // What output may do to this terminal; queries never reach it (the daemon answers them).
      const output = new OutputFilter(new Set(params.allow ?? configuredAllow()));
      const replies = new ReplyFilter();
      let releaseTimer: NodeJS.Timeout | undefined;
      // Detached by another command: the stream ends as a detach would, and the session keeps running.
      const detach = (): void => sink.end({ ...streamEnd(session, session.output.end), detached: true } satisfies OutputStreamEnd);
      const client = session.clients.add({ readOnly, cols: params.cols, rows: params.rows, detach });
      bus.publish('client-attached', { sessionId: session.id, client: streamId, readOnly, cols: params.cols, rows: params.rows });
      sink.onClose(() => {
        clearTimeout(releaseTimer);
        session.clients.remove(client);
        bus.publish('client-detached', { sessionId: session.id, client: streamId });
      });
      const type = (data: Buffer): void => {
        if (data.length === 0) return;
        session.sendRaw(data).catch((error) => logger.warn('attach input failed', { session: session.id, error: String(error) }));
      };
      sink.onInput((data) => {
        if (readOnly) return;
        session.clients.input(client);
        // The terminal's replies to queries stay out: the daemon answered them already.
        type(replies.push(data));
        if (!replies.holding) {
          clearTimeout(releaseTimer);
          releaseTimer = undefined;
        } else {
          // Held since the first part came, not since the latest: typing on never holds it longer.
          releaseTimer ??= setTimeout(() => {
            releaseTimer = undefined;
            type(replies.release());
          }, REPLY_HOLD_MS);
        }
      });
      sink.onResize((cols, rows) => session.clients.resized(client, cols, rows));

      sink.send({ k: 'start', session: session.info(), from: session.output.end, logStart: session.output.start } satisfies OutputFrame);
      // The log offset is taken in the same turn as the parse marker is
      // queued, so the replay shows exactly the output before `offset` and
      // live output resumes right after it: nothing missed, nothing twice.
      const offset = session.output.end;
      client.sentOffset = offset;
      const replay = await screen.replay();
      await sendReplay(sink, replay, output);
      const result = await followOutput(session, bus, sink, { from: offset, follow: true, transform: (data) => output.push(data), onProgress: (at) => (client.sentOffset = at) });
      finishStream(session, sink, result);
    }),
  };
}
