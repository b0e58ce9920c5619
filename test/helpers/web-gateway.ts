/**
 * `ccx web --port 0 --json` as a child process of a test home, and plain
 * HTTP requests to it (node:http, so Host and Origin can be anything).
 */
import type { ChildProcess } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { isAlive, sleep, type Home } from './ccx.js';

export interface Gateway {
  url: string;
  port: number;
  token: string;
  child: ChildProcess;
  /** `127.0.0.1:PORT`, what a browser sends as Host. */
  host: string;
  origin: string;
  /** Ends the gateway by its pid (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<void>;
}

export async function startGateway(home: Home, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<Gateway> {
  const child = home.spawnCcx(['web', '--port', '0', '--json', ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ccx web printed nothing within 60 s; stderr: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ccx web exited ${code} before printing its URL; stderr: ${stderr}`));
    });
  });
  const { url, port, token } = JSON.parse(line) as { url: string; port: number; token: string };
  const host = `127.0.0.1:${port}`;
  return {
    url,
    port,
    token,
    child,
    host,
    origin: `http://${host}`,
    async stop() {
      const pid = child.pid;
      if (!pid || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => isAlive(pid) && child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface HttpResult {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  json: any;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer | object;
  /** Bearer token; default the gateway's. null: none. */
  token?: string | null;
}

export function http(gw: Gateway, method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
  const token = opts.token === undefined ? gw.token : opts.token;
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: gw.port, method, path, headers, timeout: 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    let answered = false;
    req.once('response', () => (answered = true));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer (413) and close before the whole body is written: the answer still counts.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') {
        if (!answered) setTimeout(() => answered || reject(new Error(`connection closed without an answer (${error.code})`)), 5_000);
        return;
      }
      reject(error);
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export interface SseStream {
  status: number;
  events: SseEvent[];
  comments: string[];
  retry?: number;
  /** Resolves once `probe` holds for what has arrived. */
  until(probe: (s: SseStream) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): void;
  body: string;
}

/** Opens an SSE stream and parses it as it comes (id/event/data fields, comments, retry). */
export function openSse(gw: Gateway, path: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: gw.port, method: 'GET', path, headers: { authorization: `Bearer ${gw.token}`, accept: 'text/event-stream', ...headers } }, (res) => {
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        events: [],
        comments: [],
        body: '',
        async until(probe, timeoutMs = 30_000, what = 'SSE condition') {
          const deadline = Date.now() + timeoutMs;
          while (!probe(stream)) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(stream.events.map((e) => e.id))}`);
            await sleep(25);
          }
        },
        close: () => req.destroy(),
      };
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        stream.body += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) stream.comments.push(line.slice(1).trim());
            else if (line.startsWith('retry:')) stream.retry = Number(line.slice(6));
            else if (line.startsWith('id:')) ((event.id = line.slice(3).trim()), (isEvent = true));
            else if (line.startsWith('event:')) event.event = line.slice(6).trim();
            else if (line.startsWith('data:')) ((event.data += line.slice(5).trim()), (isEvent = true));
          }
          if (isEvent) stream.events.push(event);
        }
      });
      res.on('error', () => undefined);
      resolve(stream);
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    req.end();
  });
}
