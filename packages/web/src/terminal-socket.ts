import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { OutputFrame, OutputStreamEnd, SessionInfo } from '@ccx/shared';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { callDaemon, type ConnectDaemon } from './daemon-link.js';
import { HttpError } from './http-io.js';
import { inputMessage, outputFrameBytes } from './wire-bytes.js';

/**
 * Bytes sent to a browser and not yet on the wire (ws's callback) above
 * which this socket stops reading its attach stream, and below which it
 * reads again. The daemon's follower is a cursor into the output log on
 * disk: a paused reader holds nothing in memory, and neither the program nor
 * other clients wait for it.
 */
export const SOCKET_HIGH_WATER_BYTES = 1024 * 1024;
export const SOCKET_LOW_WATER_BYTES = 256 * 1024;
/** Largest message a browser may send (keystrokes, a paste, a resize). */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Close code telling the page it fell behind what the log still holds: reconnect for a fresh screen. */
export const CLOSE_BEHIND = 4000;
/** Close code: the daemon went away (restart); reconnect with backoff. */
export const CLOSE_DAEMON_GONE = 4001;

/** Messages a page sends as text (keystrokes come as binary). */
type ControlMessage = { type: 'resize'; cols: number; rows: number } | { type: 'pause' } | { type: 'resume' };

export interface TerminalOptions {
  sessionRef: string;
  write: boolean;
  cols?: number;
  rows?: number;
}

/**
 * `GET /api/session/:id/terminal` (WebSocket, binary): the session's screen
 * replay, then its live output, from the daemon's attach stream; keystrokes
 * and window sizes from the page only when it asked for `?write=1`.
 * Flow control is per socket: the page reports (`pause`/`resume`, from
 * xterm.js's write callbacks) when its terminal falls behind, and this side
 * also watches what ws has not sent yet; either pauses reading the daemon
 * connection for this socket alone. A page that falls behind what the log
 * keeps (a `gap`) is closed with CLOSE_BEHIND and comes back to a fresh
 * screen replay.
 */
export class TerminalSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });

  constructor(private readonly connect: ConnectDaemon) {}

  /** Checks the session (404/409 as an HTTP answer), then upgrades and bridges. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, opts: TerminalOptions): Promise<void> {
    const info = await callDaemon(this.connect, 'session.get', { target: opts.sessionRef });
    if (info.status !== 'running') throw new HttpError(409, 'E_NOT_RUNNING', `session ${info.id} is ${info.status}`, `its output is kept: GET /api/session/${info.id}/logs`);
    const conn = await this.connect();
    this.wss.handleUpgrade(req, socket, head, (ws) => this.bridge(ws, conn, info, opts));
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private bridge(ws: WebSocket, conn: Awaited<ReturnType<ConnectDaemon>>, info: SessionInfo, opts: TerminalOptions): void {
    let unsent = 0;
    let pageBehind = false;
    let paused = false;
    const settle = (): void => {
      const want = pageBehind || unsent > SOCKET_HIGH_WATER_BYTES || (paused && unsent > SOCKET_LOW_WATER_BYTES);
      if (want === paused) return;
      paused = want;
      if (paused) conn.pause();
      else conn.resume();
    };
    const sendBytes = (bytes: Buffer): void => {
      if (ws.readyState !== ws.OPEN) return;
      unsent += bytes.length;
      ws.send(bytes, { binary: true }, () => {
        unsent -= bytes.length;
        settle();
      });
      settle();
    };
    let closed = false;
    const close = (code: number, reason: string): void => {
      if (closed) return;
      closed = true;
      conn.close();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    };
    const stream = conn.stream(
      'session.attach',
      { target: info.id, readOnly: !opts.write, ...(opts.cols && opts.rows ? { cols: opts.cols, rows: opts.rows } : {}) },
      (data) => {
        const frame = data as OutputFrame;
        switch (frame.k) {
          case 'start':
            ws.send(JSON.stringify({ type: 'start', session: frame.session, write: opts.write }));
            return;
          case 'screen':
          case 'out':
            sendBytes(outputFrameBytes(frame));
            return;
          case 'gap':
            close(CLOSE_BEHIND, 'fell behind the output log; reconnect for the current screen');
            return;
        }
      },
    );
    stream.done.then(
      (end) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'end', end }));
        close(1000, end.detached ? 'detached' : 'session ended');
      },
      (error: { code?: string; message?: string }) => close(error.code === 'E_DAEMON_UNAVAILABLE' ? CLOSE_DAEMON_GONE : 1011, String(error.message ?? error).slice(0, 120)),
    );
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        if (opts.write) conn.control(inputMessage(stream.id, bytes));
        return;
      }
      let message: ControlMessage;
      try {
        message = JSON.parse(bytes.toString('utf8')) as ControlMessage;
      } catch {
        return;
      }
      if (message.type === 'pause' || message.type === 'resume') {
        pageBehind = message.type === 'pause';
        settle();
      } else if (message.type === 'resize' && opts.write && validSize(message.cols) && validSize(message.rows)) {
        conn.control({ t: 'resize', id: stream.id, cols: message.cols, rows: message.rows });
      }
    });
    ws.on('close', () => close(1000, 'page closed'));
    ws.on('error', () => close(1011, 'socket error'));
  }
}

function validSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1000;
}
