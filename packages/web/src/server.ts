import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { API_ROUTES, type ApiDeps } from './api-routes.js';
import { isAuthenticated, sessionCookie, type TokenSource } from './auth.js';
import type { ConnectDaemon } from './daemon-link.js';
import { HttpError, readJsonBody, sendError, sendJson } from './http-io.js';
import { RequestGuard } from './request-guard.js';
import { matchRoute, type Route } from './route-table.js';
import { serveStatic } from './static-files.js';
import { TerminalSockets } from './terminal-socket.js';
import { tokensEqual } from './token-store.js';
import { HEARTBEAT_MS } from './event-stream.js';
import { EventHub } from './event-hub.js';

export interface WebServerOptions {
  connect: ConnectDaemon;
  tokens: TokenSource;
  bind: string;
  /** 0: a free port. */
  port: number;
  spawnEnv: Record<string, string>;
  spawnCwd: string;
  heartbeatMs?: number;
  pageDir?: string;
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Routes outside API_ROUTES that the server handles itself; listed so the OpenAPI check covers them. */
export const SERVER_ROUTES: ReadonlyArray<{ method: string; path: string }> = [
  { method: 'POST', path: '/api/login' },
  { method: 'GET', path: '/api/session/:id/terminal' },
];

export function registeredRoutes(): Array<{ method: string; path: string }> {
  return [...API_ROUTES.map((r) => ({ method: r.method, path: r.path })), ...SERVER_ROUTES];
}

const TERMINAL_ROUTE: Route<unknown>[] = [{ method: 'GET', path: '/api/session/:id/terminal', summary: 'terminal WebSocket', handler: () => undefined }];

/** Routes anyone may call (no token): the page trades its token here, and the API's own description. */
const PUBLIC_API = new Set(['/api/openapi.json']);

/**
 * The gateway: node:http for the API, SSE and the page, ws for the terminal
 * sockets. Every request passes the same checks in this order: Host (403),
 * Origin (403), token (401), route (404/405), body (413/400).
 */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const server = createServer();
  const sockets = new TerminalSockets(opts.connect);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.bind, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const guard = new RequestGuard(opts.bind, port);
  const hub = new EventHub(opts.connect);
  const deps: ApiDeps = { connect: opts.connect, spawnEnv: opts.spawnEnv, spawnCwd: opts.spawnCwd, heartbeatMs: opts.heartbeatMs ?? HEARTBEAT_MS, hub };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error) => sendError(res, error));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    upgrade(req, socket, head).catch((error) => refuseUpgrade(socket, error));
  });

  const checkCaller = (req: IncomingMessage, pathname: string): void => {
    if (!guard.hostAllowed(req)) throw new HttpError(403, 'E_FORBIDDEN', `Host ${JSON.stringify(req.headers.host ?? '')} is not this server`, `open ${guard.baseUrl()}`);
    if (!guard.originAllowed(req)) throw new HttpError(403, 'E_FORBIDDEN', `requests from ${req.headers.origin} are not accepted`, 'use the page this server serves');
    if (pathname.startsWith('/api/') && !PUBLIC_API.has(pathname) && pathname !== '/api/login' && !isAuthenticated(req, port, opts.tokens)) {
      throw new HttpError(401, 'E_UNAUTHORIZED', 'a token is needed', 'open the URL ccx web printed (…/#token=…), or send Authorization: Bearer TOKEN');
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    checkCaller(req, url.pathname);
    if (url.pathname === '/api/login') {
      if (req.method !== 'POST') throw new HttpError(405, 'E_METHOD', 'POST the token to /api/login');
      const body = await readJsonBody(req);
      if (typeof body.token !== 'string' || !tokensEqual(body.token, opts.tokens.current())) throw new HttpError(401, 'E_UNAUTHORIZED', 'that token is not this server\'s', 'open the URL ccx web printed last (ccx web --rotate-token makes a new one)');
      res.writeHead(204, { 'set-cookie': sessionCookie(port, body.token), 'cache-control': 'no-store' });
      res.end();
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(302, { location: '/sessions' });
        res.end();
        return;
      }
      if (req.method === 'GET' && (await serveStatic(res, url.pathname, opts.pageDir))) return;
      throw new HttpError(404, 'E_NOT_FOUND', `nothing at ${url.pathname}`);
    }
    const match = matchRoute<ApiDeps>(API_ROUTES as Route<ApiDeps>[], req.method ?? 'GET', url.pathname);
    if (!match) throw new HttpError(404, 'E_NOT_FOUND', `no API route ${req.method} ${url.pathname}`, 'see GET /api/openapi.json');
    if ('allowed' in match) {
      res.setHeader('allow', match.allowed.join(', '));
      throw new HttpError(405, 'E_METHOD', `${req.method} is not allowed on ${url.pathname}`, `use ${match.allowed.join(' or ')}`);
    }
    await match.route.handler({ req, res, params: match.params, query: url.searchParams }, deps);
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    checkCaller(req, url.pathname);
    // The id rule of every other session route applies (400 for a malformed one).
    const found = matchRoute(TERMINAL_ROUTE, 'GET', url.pathname);
    if (!found || !('params' in found)) throw new HttpError(404, 'E_NOT_FOUND', `no WebSocket at ${url.pathname}`);
    const sessionRef = found.params.id!;
    const size = (name: string): number | undefined => {
      const n = Number(url.searchParams.get(name));
      return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : undefined;
    };
    await sockets.upgrade(req, socket, head, { sessionRef, write: url.searchParams.get('write') === '1', cols: size('cols'), rows: size('rows') });
  }

  return {
    url: guard.baseUrl(),
    port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.close();
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An upgrade refused before it happened: a plain HTTP answer on the raw socket. */
function refuseUpgrade(socket: Duplex, error: unknown): void {
  const res = fakeResponse(socket);
  sendError(res, error);
}

/** Just enough of a ServerResponse for sendError to write a status line, headers and body to a raw socket. */
function fakeResponse(socket: Duplex): ServerResponse {
  let status = 500;
  let headers: Record<string, string | number> = {};
  return {
    headersSent: false,
    writeHead(code: number, h: Record<string, string | number>) {
      status = code;
      headers = h;
      return this;
    },
    end(body: string) {
      const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'connection: close', '', body];
      socket.end(lines.join('\r\n'));
    },
    destroy() {
      socket.destroy();
    },
  } as unknown as ServerResponse;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error', 503: 'Service Unavailable' };
