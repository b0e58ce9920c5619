import { connect } from 'node:net';

export type ProbeResult = 'live' | 'stale' | 'absent';

/**
 * Whether something is listening on the socket. A socket file nobody listens
 * on (ECONNREFUSED) was left by a daemon that was killed and may be removed;
 * a live one must never be taken over.
 */
export function probeSocket(address: string, timeoutMs = 1000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ path: address });
    const timer = setTimeout(() => {
      socket.destroy();
      // A listener too busy to accept is still a listener.
      resolve('live');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ENOENT' ? 'absent' : 'stale');
    });
  });
}
