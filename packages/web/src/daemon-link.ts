import type { FrameOf, ParamsOf, ResultOf, StreamMethod, UnaryMethod } from '@ccx/shared';

/**
 * What the gateway needs of a daemon connection. The CLI's own client
 * (packages/cli/src/client/ipc-client.ts `DaemonConnection`, opened by
 * ensure-daemon.ts `connectOrStart`) satisfies it; the CLI passes its connect
 * function in, so this package never depends on the CLI (no cycle) and the
 * client exists once.
 */
export interface DaemonConnectionLike {
  request<M extends UnaryMethod>(method: M, params: ParamsOf<M>, timeoutMs?: number): Promise<ResultOf<M>>;
  stream<M extends StreamMethod>(method: M, params: ParamsOf<M>, onFrame: (data: FrameOf<M>) => void, timeoutMs?: number): { id: number; done: Promise<ResultOf<M>> };
  control(message: { t: 'input'; id: number; data: string } | { t: 'resize'; id: number; cols: number; rows: number } | { t: 'close'; id: number }): boolean;
  pause(): void;
  resume(): void;
  close(): void;
}

/** Connects to the daemon, starting it when none runs. */
export type ConnectDaemon = () => Promise<DaemonConnectionLike>;

/**
 * One unary request on a connection of its own. The daemon closes a
 * connection idle for 30 s, and a restart ends them all: a fresh connection
 * per request (a local socket, ~1 ms) never meets a stale one.
 */
export async function callDaemon<M extends UnaryMethod>(connect: ConnectDaemon, method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const conn = await connect();
  try {
    return await conn.request(method, params);
  } finally {
    conn.close();
  }
}

/** Runs a stream to its end on a connection of its own; frames go to `onFrame`. */
export async function streamDaemon<M extends StreamMethod>(connect: ConnectDaemon, method: M, params: ParamsOf<M>, onFrame: (data: FrameOf<M>, conn: DaemonConnectionLike) => void): Promise<ResultOf<M>> {
  const conn = await connect();
  try {
    return await conn.stream(method, params, (data) => onFrame(data, conn)).done;
  } finally {
    conn.close();
  }
}
