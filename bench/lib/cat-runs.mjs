// One "print a file as fast as possible" run in each tool; each returns the
// wall time until the program has exited and its output is processed.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuMs, ROOT } from '../../packages/testkit/dist/index.js';
import { timeOk } from './proc.mjs';

const RAW_PTY = join(ROOT, 'bench', 'lib', 'raw-pty.mjs');
let tagCounter = 0;

/**
 * ccx: start `cat FILE`, wait for its process-exit, then ask for the screen,
 * which the daemon answers only once the terminal has parsed everything
 * written before the request. Checks the log holds every byte, then removes
 * the session (outside the timing) so the disk does not fill.
 */
export async function catInCcx(home, conn, watcher, file, expectedBytes, { keep = false } = {}) {
  const cpu0 = cpuMs(conn.daemonPid);
  const t0 = performance.now();
  const info = await home.startSession(conn, ['cat', file]);
  await watcher.wait(info.id);
  await conn.request('session.screen', { target: info.id });
  const took = performance.now() - t0;
  const cpu = cpuMs(conn.daemonPid) - cpu0;
  const after = await conn.request('session.get', { target: info.id });
  if (expectedBytes !== undefined && after.outputBytes !== expectedBytes) {
    throw new Error(`ccx session ${info.id} logged ${after.outputBytes} bytes, expected ${expectedBytes}`);
  }
  if (!keep) await conn.request('session.rm', { targets: [info.id] });
  return { ms: took, cpu, id: info.id };
}

/** tmux: a detached session running `cat FILE; tmux wait-for -S tag`, waited on by `tmux wait-for tag`. */
export async function catInTmux(tmux, file) {
  const tag = `done${process.pid}x${++tagCounter}`;
  const cpu0 = cpuMs(tmux.pid);
  const t0 = performance.now();
  // The waiter starts first, so the signal can never come before it listens.
  const waiter = tmux.run(['wait-for', tag], { timeoutMs: 120_000 });
  await tmux.run(['new-session', '-d', '-x', '80', '-y', '24', `cat '${file}'; tmux -f /dev/null -S '${tmux.socket}' wait-for -S ${tag}`]);
  await waiter;
  return { ms: performance.now() - t0, cpu: cpuMs(tmux.pid) - cpu0 };
}

/** tmux: `count` sessions at once, each printing the file; resolves when all have signalled. */
export async function catManyInTmux(tmux, file, count) {
  const tag = `many${process.pid}x${++tagCounter}`;
  const t0 = performance.now();
  const waiters = [];
  const starts = [];
  for (let i = 0; i < count; i++) {
    waiters.push(tmux.run(['wait-for', `${tag}-${i}`], { timeoutMs: 300_000 }));
    starts.push(tmux.run(['new-session', '-d', '-x', '80', '-y', '24', `cat '${file}'; tmux -f /dev/null -S '${tmux.socket}' wait-for -S ${tag}-${i}`]));
  }
  await Promise.all(starts);
  await Promise.all(waiters);
  return { ms: performance.now() - t0 };
}

/** The floor: a bare node-pty script (optionally feeding a headless xterm); its own timing, without node's start-up. */
export async function rawPtyCat(ctx, file, expectedBytes, { xterm = false, count = 1 } = {}) {
  const args = [RAW_PTY, 'cat', file, '--count', String(count), ...(xterm ? ['--xterm'] : [])];
  const r = await timeOk(ctx.pids, process.execPath, args, { timeoutMs: 300_000 });
  const result = JSON.parse(r.stdout);
  for (const bytes of result.bytes) {
    if (expectedBytes !== undefined && bytes !== expectedBytes) throw new Error(`bare node-pty read ${bytes} bytes, expected ${expectedBytes}`);
  }
  return { ms: result.ms, cpu: result.cpuMs };
}

