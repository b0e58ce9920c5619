// A terminal the bench types into: a node-pty running a client (`ccx attach`,
// `tmux attach`) or a program directly (the floor), with keystroke-echo
// timing. Escape sequences are stripped before looking for the echo, since a
// client may redraw around the character.
import { performance } from 'node:perf_hooks';
import { sleep } from '../../packages/testkit/dist/index.js';
import { daemonRequire } from './paths.mjs';

const pty = daemonRequire('node-pty');
const ESCAPES = /\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()*+][0-9A-Za-z]|\x1b[=>78DEHMNOPcZ\\^_]/g;
const PROBES = 'abcdefghijklmnopqrstuvwxyz';
/** Characters typed before Enter empties the program's line buffer. */
const LINE_PROBES = 60;
const KEYSTROKE_GAP_MS = 20;

export class PtyClient {
  constructor(pids, file, args, { env, cols = 80, rows = 24, cwd } = {}) {
    this.proc = pty.spawn(file, args, { name: 'xterm-256color', cols, rows, env, cwd, encoding: 'utf8' });
    this.pid = pids.track(this.proc.pid);
    this.pids = pids;
    this.seen = '';
    this.lastDataAt = performance.now();
    this.listener = undefined;
    this.exited = false;
    this.proc.onData((data) => {
      this.lastDataAt = performance.now();
      this.seen = (this.seen + data).slice(-4096);
      this.listener?.(data);
    });
    this.proc.onExit(() => (this.exited = true));
  }

  /** Waits until the client has printed something and then been quiet for `quietMs`. */
  async settle(quietMs = 300, timeoutMs = 15_000) {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.exited) throw new Error(`client exited: ${this.seen.replace(ESCAPES, '').slice(-300)}`);
      if (this.seen.length > 0 && performance.now() - this.lastDataAt >= quietMs) return;
      await sleep(20);
    }
    throw new Error(`client never settled; output so far: ${JSON.stringify(this.seen.slice(-300))}`);
  }

  /** Types one character and resolves with the ms until it shows up in the client's output. */
  echo(char, timeoutMs = 5_000) {
    return new Promise((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => {
        this.listener = undefined;
        reject(new Error(`no echo of ${JSON.stringify(char)} within ${timeoutMs} ms; got ${JSON.stringify(text.slice(-200))}`));
      }, timeoutMs);
      this.listener = (data) => {
        text += data;
        if (text.replace(ESCAPES, '').includes(char)) {
          const ms = performance.now() - t0;
          clearTimeout(timer);
          this.listener = undefined;
          resolve(ms);
        }
      };
      const t0 = performance.now();
      this.proc.write(char);
    });
  }

  /**
   * `count` echo samples, one keystroke every `gapMs` or so — faster than
   * anyone types (a fast typist leaves ~100 ms between keys), slow enough
   * that each echo is a lone keystroke, as it is at a terminal. Enter every
   * LINE_PROBES characters (untimed) keeps the line short.
   */
  async echoSeries(count, gapMs = KEYSTROKE_GAP_MS) {
    const samples = [];
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % LINE_PROBES === 0) {
        this.proc.write('\r');
        await sleep(60);
      }
      samples.push(await this.echo(PROBES[i % PROBES.length]));
      await sleep(gapMs);
    }
    return samples;
  }

  kill() {
    if (this.exited) return;
    try {
      this.proc.kill('SIGKILL');
    } catch {}
  }
}

export { pty };
