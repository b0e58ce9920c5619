import { chmodSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import ipcModule from 'node-ipc';
import type { Logger } from '../logger.js';
import { Connection } from './connection.js';
import { DEFAULT_CONNECTION_LIMITS, evictionCandidate, overdue, sweepIntervalMs, type ConnectionActivity, type ConnectionLimits } from './connection-limits.js';

interface NodeIpcServer {
  on(event: string, handler: (...args: any[]) => void): void;
  start(): void;
  stop(): void;
  server: Server;
}

/**
 * The daemon's listening side. node-ipc owns the socket server; framing is
 * ours (raw-buffer mode), because node-ipc's own delimiter parser has no size
 * limit. `unlink` is off: node-ipc would otherwise delete a live daemon's
 * socket before listening — the caller removes a stale one after a probe.
 */
export class IpcServer {
  private ipc: InstanceType<typeof ipcModule.IPC> | undefined;
  private nextId = 1;
  private readonly connections = new Map<Socket, Connection>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly address: string,
    private readonly logger: Logger,
    private readonly onConnection: (conn: Connection) => void,
    private readonly onData: (conn: Connection, chunk: Buffer) => void,
    private readonly activity: ConnectionActivity,
    private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
  ) {}

  listen(): Promise<void> {
    const ipc = new ipcModule.IPC();
    this.ipc = ipc;
    Object.assign(ipc.config, {
      silent: true,
      rawBuffer: true,
      // latin1 maps every byte to one char and back, so raw frames survive the
      // string decoding node-ipc applies to sockets.
      encoding: 'latin1',
      unlink: false,
      // Our own cap (see admit) decides who is served; node's only bounds the
      // sockets still closing, so it never refuses a newcomer ours would admit.
      maxConnections: this.limits.maxConnections * 2,
    });
    return new Promise((resolve, reject) => {
      ipc.serve(this.address, () => {
        if (process.platform !== 'win32') {
          // Owner only: no other user can connect, whatever the umask was.
          chmodSync(this.address, 0o600);
        }
        resolve();
      });
      const server = ipc.server as unknown as NodeIpcServer;
      server.on('connect', (socket: Socket) => {
        const conn = new Connection(this.nextId++, socket, this.logger);
        this.connections.set(socket, conn);
        conn.onClose(() => this.connections.delete(socket));
        this.onConnection(conn);
        this.admit(conn);
      });
      server.on('data', (chunk: Buffer, socket: Socket) => {
        const conn = this.connections.get(socket);
        if (conn && !conn.isClosed) this.onData(conn, chunk);
      });
      server.on('error', (error: Error) => this.logger.log('debug', 'ipc error', { error: String(error) }));
      server.start();
      server.server.once('error', reject);
      this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs(this.limits));
      this.sweeper.unref();
    });
  }

  /**
   * Listens again at the same path, for a socket file that was removed
   * (tmux re-creates its socket the same way, on SIGUSR1). Only the listening
   * handle is replaced: open connections and their streams carry on.
   */
  relisten(): Promise<void> {
    const server = (this.ipc?.server as unknown as NodeIpcServer | undefined)?.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (server.listening) server.close();
      const failed = (error: Error): void => reject(error);
      server.once('error', failed);
      server.listen({ path: this.address }, () => {
        server.off('error', failed);
        if (process.platform !== 'win32') chmodSync(this.address, 0o600);
        resolve();
      });
    });
  }

  /**
   * At the cap, a newcomer is served by closing the connection idle the
   * longest; only when every connection has an open stream or a request
   * being answered is the newcomer itself turned away.
   */
  private admit(conn: Connection): void {
    let live = 0;
    for (const c of this.connections.values()) if (!c.isClosed) live++;
    if (live <= this.limits.maxConnections) return;
    const others = [...this.connections.values()].filter((c) => c !== conn);
    const victim = evictionCandidate(others, this.activity);
    if (victim) {
      this.logger.log('debug', 'closing the longest-idle connection for a new one', { conn: victim.id, limit: this.limits.maxConnections });
      victim.fatal('E_DAEMON_UNAVAILABLE', `closed for a new client: the daemon serves at most ${this.limits.maxConnections} connections and this one was idle the longest`, 'connect again');
      return;
    }
    this.logger.warn('refusing a connection: every connection is busy', { limit: this.limits.maxConnections });
    conn.fatal('E_DAEMON_UNAVAILABLE', `the daemon serves ${this.limits.maxConnections} connections, each with an open stream or a request`, 'end some attach or follow clients (ccx daemon status shows them), then try again');
  }

  /** Closes connections past a deadline: no hello, a frame never completed, or idle (see connection-limits.ts). */
  private sweep(): void {
    const now = Date.now();
    for (const conn of this.connections.values()) {
      if (conn.isClosed) continue;
      conn.noteReading(now);
      const reason = overdue(conn, now, this.limits, this.activity);
      if (!reason) continue;
      this.logger.log('debug', 'closing connection', { conn: conn.id, reason });
      conn.fatal('E_PROTOCOL', `connection closed: ${reason}`, 'connect again; the daemon closes connections that hold a slot without using it');
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes queued in user space for all connections' sockets. */
  get queuedWriteBytes(): number {
    let bytes = 0;
    for (const conn of this.connections.values()) bytes += conn.writableLength;
    return bytes;
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const conn of this.connections.values()) conn.close();
    const server = this.ipc?.server as unknown as NodeIpcServer | undefined;
    if (!server?.server) return Promise.resolve();
    return new Promise((resolve) => server.server.close(() => resolve()));
  }
}
