import { chmodSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import ipcModule from 'node-ipc';
import type { Logger } from '../logger.js';
import { Connection } from './connection.js';

/** node-ipc's defaults cap connections at 100; floods of idle clients should not lock users out. */
export const MAX_CONNECTIONS = 1024;

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

  constructor(
    private readonly address: string,
    private readonly logger: Logger,
    private readonly onConnection: (conn: Connection) => void,
    private readonly onData: (conn: Connection, chunk: Buffer) => void,
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
      maxConnections: MAX_CONNECTIONS,
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
      });
      server.on('data', (chunk: Buffer, socket: Socket) => {
        const conn = this.connections.get(socket);
        if (conn && !conn.isClosed) this.onData(conn, chunk);
      });
      server.on('error', (error: Error) => this.logger.log('debug', 'ipc error', { error: String(error) }));
      server.start();
      server.server.once('error', reject);
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
    for (const conn of this.connections.values()) conn.close();
    const server = this.ipc?.server as unknown as NodeIpcServer | undefined;
    if (!server?.server) return Promise.resolve();
    return new Promise((resolve) => server.server.close(() => resolve()));
  }
}
