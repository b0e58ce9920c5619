/**
 * A real webhook receiver for tests: node:http on 127.0.0.1, a random port,
 * recording every request. What it answers is up to the test: a status code,
 * or 'hang' (never answer). It can stop listening (so connections are
 * refused) and listen again on the same port.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** What the receiver answered (null: it hung). */
  answered: number | null;
}

export type Answer = number | 'hang';

export interface Receiver {
  readonly port: number;
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Decides each answer; the default accepts everything with 200. */
  answer: (req: ReceivedRequest, index: number) => Answer;
  /** Requests the receiver accepted with a 2xx, in arrival order. */
  accepted(): ReceivedRequest[];
  /** Stops listening and drops every connection (hanging ones too): senders now get ECONNREFUSED. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  listen(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const receiver: Receiver = {
    port,
    url: '',
    requests: [],
    answer: () => 200,
    accepted: () => receiver.requests.filter((r) => r.answered !== null && r.answered >= 200 && r.answered < 300),
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      for (const res of hanging) res.destroy();
      hanging.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async listen() {
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          const record: ReceivedRequest = { headers: req.headers, body, json, answered: null };
          const answer = receiver.answer(record, receiver.requests.length);
          receiver.requests.push(record);
          if (answer === 'hang') {
            hanging.add(res);
            return;
          }
          record.answered = answer;
          res.writeHead(answer, { 'Content-Type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
        });
      });
      s.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(receiver.port, '127.0.0.1', () => resolve());
      });
      server = s;
      const address = s.address();
      if (address && typeof address === 'object') {
        (receiver as { port: number }).port = address.port;
        (receiver as { url: string }).url = `http://127.0.0.1:${address.port}/hook`;
      }
    },
  };
  await receiver.listen();
  return receiver;
}

/** Checks `X-Ccx-Signature: sha256=<hex>` against the raw body, as a receiver should (constant-time compare). */
export function signatureValid(req: ReceivedRequest, secret: string): boolean {
  const header = req.headers['x-ccx-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(req.body).digest('hex'));
  const given = Buffer.from(header.slice('sha256='.length));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
