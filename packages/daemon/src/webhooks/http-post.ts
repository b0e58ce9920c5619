import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PostResult {
  /** HTTP status, when the receiver answered at all. */
  status?: number;
  /** Network error or timeout, without any header value or body in it. */
  error?: string;
  /** From a `Retry-After` header (seconds or HTTP date). */
  retryAfterMs?: number;
  ms: number;
}

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Aborts the request (the subscriber was removed, or the daemon is stopping). */
  signal?: AbortSignal;
}

/** How much of a response body is read before the connection is dropped: receivers' answers are not used. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One POST with a hard deadline over the whole exchange (connect, send,
 * status line). Never rejects: every outcome is a PostResult. No connection
 * is reused, so a receiver that hangs holds nothing beyond its own request.
 */
export function postJson(req: PostRequest, now: () => number = Date.now): Promise<PostResult> {
  const started = now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<PostResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, ms: now() - started });
    };
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      finish({ error: 'invalid URL' });
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const body = Buffer.from(req.body);
    const client = send(url, {
      method: 'POST',
      agent: false,
      signal: req.signal,
      headers: { ...req.headers, 'Content-Length': String(body.length) },
    });
    const timer = setTimeout(() => {
      finish({ error: `no response within ${req.timeoutMs} ms` });
      client.destroy();
    }, req.timeoutMs);
    client.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.name === 'AbortError' ? 'aborted' : describeNetworkError(error) }));
    client.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now());
      // Drain a little of the answer so the receiver sees a clean exchange, then hang up.
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) client.destroy();
      });
      res.on('error', () => {});
      res.on('end', () => client.destroy());
      finish({ status, retryAfterMs });
    });
    client.end(body);
  });
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  const address = (error as { address?: string; port?: number }).address;
  const port = (error as { port?: number }).port;
  const where = address ? ` ${address}${port ? `:${port}` : ''}` : '';
  return error.code ? `${error.code}${where}` : error.message;
}

function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
