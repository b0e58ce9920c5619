import type { Connection } from './connection.js';

/**
 * How long a connection may hold a slot without doing anything. Today's
 * clients are short-lived commands and streams; a client that connects and
 * then sends nothing only takes a slot from the others (1,024 greeted idle
 * connections made every `ccx list` fail for 26 s).
 */
export interface ConnectionLimits {
  /** Connections served at once; past it the oldest idle one is closed for a newcomer. */
  maxConnections: number;
  /** A new connection must send `hello` within this. */
  helloTimeoutMs: number;
  /** A greeted connection with no open stream and no request being answered is closed after this long without a byte from it. */
  idleTimeoutMs: number;
  /** A frame must be complete within this long after its first byte arrived. */
  partialFrameTimeoutMs: number;
}

/** node-ipc's default cap is 100; floods of idle clients are handled by eviction, not by the cap. */
export const MAX_CONNECTIONS = 1024;
export const HELLO_TIMEOUT_MS = 10_000;
export const IDLE_CONNECTION_MS = 30_000;
export const PARTIAL_FRAME_MS = 10_000;

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: MAX_CONNECTIONS,
  helloTimeoutMs: HELLO_TIMEOUT_MS,
  idleTimeoutMs: IDLE_CONNECTION_MS,
  partialFrameTimeoutMs: PARTIAL_FRAME_MS,
};

const ENV_NAMES: Record<keyof ConnectionLimits, string> = {
  maxConnections: 'CCX_MAX_CONNECTIONS',
  helloTimeoutMs: 'CCX_HELLO_TIMEOUT_MS',
  idleTimeoutMs: 'CCX_IDLE_CONNECTION_MS',
  partialFrameTimeoutMs: 'CCX_PARTIAL_FRAME_MS',
};

/** The limits, each overridable by a positive integer in the daemon's environment (tests use short deadlines). */
export function connectionLimitsFrom(env: NodeJS.ProcessEnv, warn: (message: string) => void): ConnectionLimits {
  const limits = { ...DEFAULT_CONNECTION_LIMITS };
  for (const key of Object.keys(ENV_NAMES) as Array<keyof ConnectionLimits>) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (Number.isSafeInteger(value) && value > 0) limits[key] = value;
    else warn(`ignoring ${ENV_NAMES[key]}=${raw}: give a positive integer; using ${limits[key]}`);
  }
  return limits;
}

/** What the dispatcher knows about a connection that the transport does not. */
export interface ConnectionActivity {
  openStreams(conn: Connection): number;
}

/** Why `conn` must be closed now, or undefined while it may stay. */
export function overdue(conn: Connection, now: number, limits: ConnectionLimits, activity: ConnectionActivity): string | undefined {
  if (conn.partialSince !== undefined && now - conn.partialSince >= limits.partialFrameTimeoutMs) {
    return `a frame was not completed within ${limits.partialFrameTimeoutMs} ms`;
  }
  if (!conn.greeted) return now - conn.openedAt >= limits.helloTimeoutMs ? `no hello within ${limits.helloTimeoutMs} ms` : undefined;
  // Idle counts from the last byte either way: a stream that ran for minutes
  // ends long after its request, and its client must get to read the end.
  if (!holdsWork(conn, activity) && conn.partialSince === undefined && now - Math.max(conn.lastReceivedAt, conn.lastServedAt) >= limits.idleTimeoutMs) {
    return `no request for ${limits.idleTimeoutMs} ms and no open stream`;
  }
  return undefined;
}

/** An open stream or a request being answered: closing it would cut off something the client asked for. */
export function holdsWork(conn: Connection, activity: ConnectionActivity): boolean {
  return activity.openStreams(conn) > 0 || conn.requestsInFlight > 0;
}

/**
 * The connection to close so a newcomer fits: of those that hold no work
 * (idle, not yet greeted, or dripping a frame), the one that sent its last
 * byte the longest ago; undefined when every one holds work.
 */
export function evictionCandidate(conns: Iterable<Connection>, activity: ConnectionActivity): Connection | undefined {
  let oldest: Connection | undefined;
  for (const conn of conns) {
    if (conn.isClosed || holdsWork(conn, activity)) continue;
    if (!oldest || conn.lastReceivedAt < oldest.lastReceivedAt) oldest = conn;
  }
  return oldest;
}

/** How often deadlines are checked: a quarter of the shortest, within 25 ms … 1 s. */
export function sweepIntervalMs(limits: ConnectionLimits): number {
  const shortest = Math.min(limits.helloTimeoutMs, limits.idleTimeoutMs, limits.partialFrameTimeoutMs);
  return Math.min(1_000, Math.max(25, Math.floor(shortest / 4)));
}
