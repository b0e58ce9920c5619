import type { Socket } from 'node:net';
import { encodeFrame, encodeFrameParts, FrameDecoder, FrameError } from '@ccx/shared';
import type { ErrorCode, ServerMessage } from '@ccx/shared';
import type { Disposable } from '../disposable.js';
import type { Logger } from '../logger.js';

/** Bytes queued in a socket beyond which a writer should wait for `drain`. */
export const SOCKET_HIGH_WATER_BYTES = 1024 * 1024;

/** Requests of one client answered at once; past this the daemon reads no more from it until replies go out. */
export const MAX_IN_FLIGHT_REQUESTS = 64;

/**
 * One client connection: decodes frames with the size guard, encodes replies,
 * and tells writers when to wait for the socket to drain.
 */
export class Connection {
  private readonly decoder = new FrameDecoder();
  private closed = false;
  private readonly closeHandlers = new Set<() => void>();
  /** Unary requests being handled whose replies have not been written yet. */
  private inFlight = 0;
  /** Where to go on once reading resumes (see `holdReading`). */
  private held: (() => void) | undefined;
  greeted = false;
  /** When the connection was accepted (ms since the epoch). */
  readonly openedAt = Date.now();
  /** When the client last sent bytes, or the connection was accepted. */
  lastReceivedAt = this.openedAt;
  /** Since when a frame has been partly received; undefined while none is. */
  partialSince: number | undefined;
  /**
   * When the daemon last queued bytes for the client, or saw it take some
   * (see `noteReading`): a client still reading the end of a long stream is
   * not idle, however long ago it sent its request.
   */
  lastServedAt = this.openedAt;
  /** `socket.writableLength` when `noteReading` last looked. */
  private queuedAtLastLook = 0;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly logger: Logger,
  ) {
    socket.on('close', () => this.handleClose());
    socket.on('drain', () => {
      this.lastServedAt = Date.now();
      this.release();
    });
    // Errors (EPIPE, ECONNRESET) end the connection; they must never reach the process.
    socket.on('error', (error) => logger.log('debug', 'client socket error', { conn: id, error: String(error) }));
  }

  /** Parses incoming bytes; returns the frames or undefined if the connection was closed for a violation. */
  decode(chunk: Buffer): unknown[] | undefined {
    const now = Date.now();
    this.lastReceivedAt = now;
    try {
      const frames = this.decoder.push(chunk);
      if (this.decoder.bufferedBytes === 0) this.partialSince = undefined;
      // A frame completed by this chunk restarts the clock for the next partial one.
      else if (this.partialSince === undefined || frames.length > 0) this.partialSince = now;
      return frames;
    } catch (error) {
      const reason = error instanceof FrameError ? error.message : String(error);
      this.logger.warn('closing connection: framing violation', { conn: this.id, reason });
      this.fatal('E_PROTOCOL', reason, 'frames are a 4-byte big-endian length and at most 1 MiB of JSON');
      return undefined;
    }
  }

  /** Writes a message; false means the socket buffer is full and the writer should await `drained()`. */
  send(message: ServerMessage): boolean {
    if (this.closed) return false;
    let parts: Uint8Array[];
    try {
      parts = encodeFrameParts(message);
    } catch (error) {
      this.logger.error('reply too large to send', { conn: this.id, error: String(error) });
      parts = [
        encodeFrame({
          t: 'res',
          id: 'id' in message ? message.id : 0,
          ok: false,
          error: { code: 'E_INTERNAL', message: 'reply exceeded the frame size limit' },
        }),
      ];
    }
    if (parts.length === 1) this.socket.write(parts[0]!);
    else {
      // One writev for header and payload: the payload (output shared by every follower) is never copied.
      this.socket.cork();
      for (const part of parts) this.socket.write(part);
      this.socket.uncork();
    }
    this.lastServedAt = Date.now();
    return this.socket.writableLength < SOCKET_HIGH_WATER_BYTES;
  }

  /** Called by the deadline sweep: fewer bytes queued than last time means the client read some. */
  noteReading(now: number): void {
    const queued = this.socket.writableLength;
    if (queued < this.queuedAtLastLook) this.lastServedAt = now;
    this.queuedAtLastLook = queued;
  }

  /** Unary requests whose replies are not written yet. */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  /**
   * True while the client has too much pending: replies past
   * SOCKET_HIGH_WATER_BYTES it has not read, or MAX_IN_FLIGHT_REQUESTS
   * requests still being answered (all requests of one read are dispatched
   * before any reply is written, so the buffer alone would notice too late).
   */
  get congested(): boolean {
    return !this.closed && (this.socket.writableLength >= SOCKET_HIGH_WATER_BYTES || this.inFlight >= MAX_IN_FLIGHT_REQUESTS);
  }

  /** Stops reading from the client until it is no longer congested, then runs `resume` (never if it closed). */
  holdReading(resume: () => void): void {
    this.socket.pause();
    this.held = resume;
  }

  requestStarted(): void {
    this.inFlight++;
  }

  requestDone(): void {
    this.inFlight--;
    this.release();
  }

  private release(): void {
    if (!this.held || this.congested) return;
    const resume = this.held;
    this.held = undefined;
    this.socket.resume();
    resume();
  }

  /** Resolves when the socket's buffer has drained, or the connection closed. */
  drained(): Promise<void> {
    if (this.closed || this.socket.writableLength < SOCKET_HIGH_WATER_BYTES) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.closeHandlers.delete(done);
        resolve();
      };
      this.socket.on('drain', done);
      this.closeHandlers.add(done);
    });
  }

  fatal(code: ErrorCode, message: string, hint?: string): void {
    if (this.closed) return;
    try {
      this.socket.end(encodeFrame({ t: 'fatal', error: { code, message, hint } }));
    } catch {
      this.socket.destroy();
    }
    // A client that never reads must not keep the socket (and its buffers) alive.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.closed = true;
  }

  onClose(handler: () => void): Disposable {
    if (this.closed) {
      handler();
      return { dispose: () => {} };
    }
    this.closeHandlers.add(handler);
    return { dispose: () => this.closeHandlers.delete(handler) };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  private handleClose(): void {
    this.closed = true;
    for (const handler of [...this.closeHandlers]) {
      try {
        handler();
      } catch (error) {
        this.logger.warn('close handler threw', { conn: this.id, error: String(error) });
      }
    }
    this.closeHandlers.clear();
  }
}
