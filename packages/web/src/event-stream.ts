import type { CcxEvent, DaemonStatus } from '@ccx/shared';
import { callDaemon, type ConnectDaemon } from './daemon-link.js';
import { HttpError } from './http-io.js';
import type { RouteContext } from './route-table.js';

/** How long a browser waits before reconnecting, sent as SSE `retry:`. */
export const SSE_RETRY_MS = 2_000;
/** A comment line this often keeps proxies and the browser from timing the stream out. */
export const HEARTBEAT_MS = 15_000;

/**
 * Where the stream starts: `Last-Event-ID` (a browser reconnecting) wins
 * over `?since=`; `since=now` is the daemon's last seq (live events only);
 * neither: from the start of the events log.
 */
async function startSeq(ctx: RouteContext, connect: ConnectDaemon): Promise<number | undefined> {
  const header = ctx.req.headers['last-event-id'];
  const given = typeof header === 'string' && header !== '' ? header : ctx.query.get('since');
  if (given === null || given === undefined) return undefined;
  if (given === 'now') return (await callDaemon<DaemonStatus>(connect, 'daemon.status')).events.lastSeq;
  if (!/^\d+$/.test(given)) throw new HttpError(400, 'E_USAGE', `Last-Event-ID / since must be an event seq (an integer ≥ 0) or now, not ${JSON.stringify(given.slice(0, 40))}`);
  return Number(given);
}

/**
 * `GET /api/events`, `GET /api/session/:id/events`: the daemon's events
 * stream (persisted types: output goes through the terminal socket) as
 * server-sent events. Each event's `id:` is its seq, and the daemon's stream
 * resumes after a seq from its log, so a reconnect with Last-Event-ID gets
 * every later event once. While the browser does not read, the daemon
 * connection is not read either: the daemon's follower is a cursor into its
 * log and waits, nothing is buffered here.
 */
export async function serveEvents(ctx: RouteContext, connect: ConnectDaemon, heartbeatMs: number, sessionRef: string | undefined): Promise<void> {
  const since = await startSeq(ctx, connect);
  // An unknown session is a 404 before the stream begins (its status line cannot change once sent).
  if (sessionRef !== undefined) await callDaemon(connect, 'session.get', { target: sessionRef });
  const conn = await connect();
  const { res, req } = ctx;
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    conn.close();
    res.end();
  };
  let started = false;
  const begin = (): void => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: ${SSE_RETRY_MS}\n\n`);
  };
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  heartbeat.unref();
  req.once('close', finish);
  let paused = false;
  const { done } = conn.stream<{ lastSeq: number }>('events.stream', { target: sessionRef, since, follow: true }, (data) => {
    begin();
    const event = data as CcxEvent;
    if (res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`) || paused) return;
    paused = true;
    conn.pause();
    res.once('drain', () => {
      paused = false;
      conn.resume();
    });
  });
  begin();
  try {
    await done;
  } catch (error) {
    // The daemon went away (restart) or cut a slow reader off: the browser reconnects with Last-Event-ID.
    if (!ended) res.write(`event: ccx-error\ndata: ${JSON.stringify({ message: String((error as Error).message ?? error), code: (error as { code?: string }).code })}\n\n`);
  } finally {
    finish();
  }
}
