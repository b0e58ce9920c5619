import type { IncomingMessage, ServerResponse } from 'node:http';
import { CcxError, type ErrorCode } from '@ccx/shared';

/** Largest request body taken (JSON); a bigger one is refused with 413 before it is read. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An error with the HTTP status it answers with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** How each daemon error code answers over HTTP. */
const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  E_USAGE: 400,
  E_NOT_FOUND: 404,
  E_AMBIGUOUS: 409,
  E_NAME_TAKEN: 409,
  E_NOT_RUNNING: 409,
  E_BUSY: 409,
  E_SPAWN: 422,
  E_TIMEOUT: 504,
  E_DAEMON_UNAVAILABLE: 503,
  E_PERMISSION: 403,
  E_GAP: 410,
  E_OVERFLOW: 409,
  E_VERSION: 502,
  E_PROTOCOL: 502,
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** `{error: {code, message, hint?}}` with the status the error calls for. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    // A refused body is not read on: the connection closes after the answer instead of draining it.
    const headers: Record<string, string> = error.status === 413 ? { connection: 'close' } : {};
    sendJson(res, error.status, { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } }, headers);
    return;
  }
  if (error instanceof CcxError || (error instanceof Error && typeof (error as CcxError).code === 'string' && (error as CcxError).code.startsWith('E_'))) {
    const e = error as CcxError;
    sendJson(res, STATUS_OF_CODE[e.code] ?? 500, { error: e.toPayload ? e.toPayload() : { code: e.code, message: e.message } });
    return;
  }
  sendJson(res, 500, { error: { code: 'E_INTERNAL', message: String((error as Error)?.message ?? error) } });
}

/**
 * The JSON body, at most MAX_BODY_BYTES (413 beyond, from Content-Length when
 * given, else once that much has arrived). An empty body is `{}`; anything
 * that does not parse to an object is 400 with the parser's message.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpError(413, 'E_TOO_LARGE', `request body of ${declared} bytes is over the limit of ${maxBytes} bytes`);
  }
  // Read with listeners, not for-await: leaving that loop early destroys the socket, and the 413 could not be sent.
  const chunks = await new Promise<Buffer[]>((resolve, reject) => {
    const got: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(new HttpError(413, 'E_TOO_LARGE', `request body is over the limit of ${maxBytes} bytes`));
        return;
      }
      got.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(got));
    req.once('error', reject);
  });
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'E_BAD_JSON', `the request body is not valid JSON: ${(error as Error).message}`, 'send a JSON object with Content-Type: application/json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HttpError(400, 'E_BAD_JSON', 'the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}
