// Learns when ccx sessions end, over one protocol connection: an
// `events.stream` follower for process-exit events when the daemon has that
// method, else polling `session.get` (so the bench also runs against a daemon
// without the events feature, at the cost of up to one poll interval).
import { sleep } from '../../packages/testkit/dist/index.js';

const POLL_MS = 5;

export class ExitWatcher {
  #exited = new Set();
  #waiters = new Map();
  #streaming = false;

  constructor(conn) {
    this.conn = conn;
  }

  /** A fresh ccx home with its daemon running, one connection to it, and a started watcher on it. */
  static async open(ctx) {
    const home = ctx.newHome();
    await home.ensureDaemon();
    const conn = await home.connect();
    const watcher = new ExitWatcher(conn);
    await watcher.start();
    return { home, conn, watcher };
  }

  /** Subscribes to process-exit events; false when the daemon cannot stream them. */
  async start() {
    const { done } = this.conn.stream('events.stream', { types: ['process-exit'], follow: true }, (event) => this.#onExit(event?.sessionId));
    // An unknown method fails at once; a working stream stays open.
    const outcome = await Promise.race([done.then(() => 'ended', () => 'failed'), sleep(300).then(() => 'open')]);
    this.#streaming = outcome === 'open';
    return this.#streaming;
  }

  get streaming() {
    return this.#streaming;
  }

  #onExit(sessionId) {
    if (!sessionId) return;
    this.#exited.add(sessionId);
    this.#waiters.get(sessionId)?.();
  }

  /** Resolves once the session's program has exited. */
  async wait(sessionId, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    if (this.#streaming) {
      if (this.#exited.has(sessionId)) return;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`session ${sessionId} did not exit within ${timeoutMs} ms`)), timeoutMs);
        this.#waiters.set(sessionId, () => {
          clearTimeout(timer);
          this.#waiters.delete(sessionId);
          resolve();
        });
      });
      return;
    }
    for (;;) {
      const info = await this.conn.request('session.get', { target: sessionId });
      if (info.status !== 'running') return;
      if (Date.now() > deadline) throw new Error(`session ${sessionId} did not exit within ${timeoutMs} ms`);
      await sleep(POLL_MS);
    }
  }
}
