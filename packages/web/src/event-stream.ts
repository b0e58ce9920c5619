import type { CcxEvent, DaemonStatus, SessionInfo } from '@ccx/shared';
import { callDaemon, type ConnectDaemon } from './daemon-link.js';
import type { EventHub, HubSubscriber } from './event-hub.js';
import { HttpError } from './http-io.js';
import type { RouteContext } from './route-table.js';

/** How long a browser waits before reconnecting, sent as SSE `retry:`. */
export const SSE_RETRY_MS = 2_000;
/** A comment line this often keeps proxies and the browser from timing the stream out. */
export const HEARTBEAT_MS = 15_000;
/**
 * Bytes a client of the shared stream may leave unread in its response
 * before it is ended; it reconnects with Last-Event-ID and reads the rest
 * from the daemon's log on a stream of its own, so nothing is lost and the
 * others never wait for it.
 */
export const MAX_UNREAD_SSE_BYTES = 1024 * 1024;

export interface EventsDeps {
  connect: ConnectDaemon;
  hub: EventHub;
  heartbeatMs: number;
}

/**
 * Where the stream starts: `Last-Event-ID` (a browser reconnecting) wins
 * over `?since=`; `since=now` is the daemon's last seq (live events only);
 * neither: from the start of the events log.
 */
async function startSeq(ctx: RouteContext, connect: ConnectDaemon): Promise<number | undefined> {
  const header = ctx.req.headers['last-event-id'];
  const given = typeof header === 'string' && header !== '' ? header : ctx.query.get('since');
  if (given === null || given === undefined) return undefined;
  if (given === 'now') return (await callDaemon(connect, 'daemon.status', {})).events.lastSeq;
  if (!/^\d+$/.test(given)) throw new HttpError(400, 'E_USAGE', `Last-Event-ID / since must be an event seq (an integer ≥ 0) or now, not ${JSON.stringify(given.slice(0, 40))}`);
  return Number(given);
}

/**
 * `GET /api/events`, `GET /api/session/:id/events`: the daemon's events
 * (persisted types: output goes through the terminal socket) as server-sent
 * events, `id:` = seq. A client that is caught up shares the gateway's one
 * live stream (event-hub.ts); one that resumes from further back gets its
 * own daemon stream, which reads the daemon's log after its seq and pauses
 * (the connection is not read) while the browser does not read. Either way a
 * reconnect with Last-Event-ID gets every later event once.
 */
export async function serveEvents(ctx: RouteContext, deps: EventsDeps, sessionRef: string | undefined): Promise<void> {
  const since = await startSeq(ctx, deps.connect);
  // An unknown session is a 404 before the stream begins (its status line cannot change once sent).
  const sessionId = sessionRef === undefined ? undefined : (await callDaemon(deps.connect, 'session.get', { target: sessionRef })).id;
  const { res, req } = ctx;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(`retry: ${SSE_RETRY_MS}\n\n`);
  const heartbeat = setInterval(() => res.writableEnded || res.write(': heartbeat\n\n'), deps.heartbeatMs);
  heartbeat.unref();
  const format = (event: CcxEvent): string => `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;
  const lostDaemon = (error: unknown): void => {
    if (!res.writableEnded) res.write(`event: ccx-error\ndata: ${JSON.stringify({ message: String((error as Error)?.message ?? error), code: (error as { code?: string })?.code })}\n\n`);
  };
  try {
    if (since !== undefined) {
      const shared = await new Promise<boolean>((resolve, reject) => {
        const subscriber: HubSubscriber = {
          after: since,
          sessionId,
          deliver: (event) => {
            if (res.writableEnded) return;
            res.write(format(event));
            if (res.writableLength > MAX_UNREAD_SSE_BYTES) res.end();
          },
          lost: (error) => {
            lostDaemon(error);
            res.end();
          },
        };
        deps.hub.join(subscriber).then((joined) => {
          if (!joined) return resolve(false);
          const leave = (): void => {
            deps.hub.leave(subscriber);
            resolve(true);
          };
          req.once('close', leave);
          res.once('close', leave);
        }, reject);
      });
      if (shared) return;
    }
    await ownStream(ctx, deps.connect, { target: sessionId, since }, format, lostDaemon);
  } finally {
    clearInterval(heartbeat);
    if (!res.writableEnded) res.end();
  }
}

/** A daemon stream for this client alone, paused while its browser does not read. */
async function ownStream(ctx: RouteContext, connect: ConnectDaemon, params: { target?: string; since?: number }, format: (e: CcxEvent) => string, lostDaemon: (e: unknown) => void): Promise<void> {
  const { res, req } = ctx;
  const conn = await connect();
  req.once('close', () => conn.close());
  let paused = false;
  const { done } = conn.stream('events.stream', { ...params, follow: true }, (data) => {
    if (res.writableEnded || res.write(format(data as CcxEvent)) || paused) return;
    paused = true;
    conn.pause();
    res.once('drain', () => {
      paused = false;
      conn.resume();
    });
  });
  try {
    await done;
  } catch (error) {
    // The daemon went away (restart) or cut a slow reader off: the browser reconnects with Last-Event-ID.
    if (!req.destroyed) lostDaemon(error);
  } finally {
    conn.close();
  }
}
