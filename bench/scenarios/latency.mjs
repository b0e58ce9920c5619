// 5. Latency. (a) Keystroke echo through `ccx attach` — typed into the
// client's terminal, through the daemon into the program's PTY, echoed by
// the line discipline and back — next to `tmux attach` and the bare PTY.
// (b) From a program's exit (SIGKILL sent by the bench) to the process-exit
// event printed by a `ccx events -f` follower, next to tmux's wait-for and to
// node-pty's own exit callback in a bare script.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ms, x } from '../lib/format.mjs';
import { CCX_BIN, sleep, waitFor } from '../../packages/testkit/dist/index.js';
import { PtyClient, pty } from '../lib/pty-client.mjs';
import { ratio, summarize } from '../lib/stats.mjs';

export const id = 'latency';
export const title = '5. Latency';
/** CLI commands this scenario drives; without them it is reported as not measured. */
export const requires = ['attach', 'events'];
export const plannedTargets = ['attach echo p99 < 10 ms', 'process-exit → event at a follower p99 < 50 ms'];

const statRow = (name, s, base) => [name, ms(s.median), ms(s.p90), ms(s.p99), ms(s.max), x(ratio(s.median, base)), s.n];

async function echoLatency(ctx, home, conn, tmux) {
  const probes = ctx.opts.echoProbes;
  const env = { ...home.env, TERM: 'xterm-256color' };
  // ccx: `cat` in a session, `ccx attach` in a terminal of the bench's.
  const session = await home.startSession(conn, ['cat']);
  const ccxClient = new PtyClient(ctx.pids, process.execPath, [CCX_BIN, 'attach', session.id], { env });
  // tmux: `cat` in a session, `tmux attach` in a terminal; no status line to redraw.
  let tmuxClient;
  if (tmux) {
    await tmux.run(['set', '-g', 'status', 'off']);
    await tmux.run(['new-session', '-d', '-s', 'echo', '-x', '80', '-y', '24', 'cat']);
    tmuxClient = new PtyClient(ctx.pids, 'tmux', tmux.args(['attach', '-t', 'echo']), { env: tmux.env });
  }
  // floor: `cat` straight in a PTY of the bench's.
  const bare = new PtyClient(ctx.pids, 'cat', [], { env });
  try {
    await Promise.all([ccxClient.settle(), tmuxClient?.settle()]);
    await waitFor(async () => (await conn.request('session.get', { target: session.id })).attachedClients > 0, 10_000, 'ccx attach to connect');
    const clients = { 'ccx attach': ccxClient, ...(tmuxClient && { 'tmux attach': tmuxClient }), 'bare PTY (floor)': bare };
    const samples = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
    // Interleaved in blocks, so load from elsewhere hits each alike.
    const block = 20;
    for (let done = 0; done < probes; done += block) {
      for (const [name, client] of Object.entries(clients)) samples[name].push(...(await client.echoSeries(Math.min(block, probes - done))));
    }
    return samples;
  } finally {
    for (const c of [ccxClient, tmuxClient, bare]) c?.kill();
  }
}

/** Children of a process (Linux), to find the program under tmux's shell. */
function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function exitLatency(ctx, home, conn, tmux) {
  const probes = ctx.opts.exitProbes;
  // ccx: one `ccx events -f` follower for the whole series.
  const follower = home.spawn(['events', '-f', '--json', '--type', 'process-exit']);
  const arrivals = new Map();
  let buffer = '';
  follower.stdout.on('data', (chunk) => {
    const now = performance.now();
    buffer += chunk.toString('utf8');
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        const event = JSON.parse(line);
        if (event.type === 'process-exit' && event.sessionId) arrivals.set(event.sessionId, now);
      } catch {}
    }
  });
  const TMUX_EXIT = 'tmux wait-for (wrapper signals after the program)';
  const samples = { 'ccx events -f': [], ...(tmux && { [TMUX_EXIT]: [] }), 'node-pty onExit, bare (floor)': [] };
  try {
    const ccxOnce = async () => {
      const info = await home.startSession(conn, ['sleep', '600']);
      await sleep(30);
      const t0 = performance.now();
      process.kill(info.pid, 'SIGKILL');
      await waitFor(() => arrivals.has(info.id), 10_000, `process-exit of ${info.id} at the follower`, 1);
      return arrivals.get(info.id) - t0;
    };
    let n = 0;
    const tmuxOnce = async () => {
      const tag = `exit${++n}`;
      await tmux.run(['new-session', '-d', '-s', tag, '-x', '80', '-y', '24', `sleep 600; tmux -f /dev/null -S '${tmux.socket}' wait-for -S ${tag}`]);
      const shell = Number((await tmux.run(['display-message', '-p', '-t', tag, '#{pane_pid}'])).stdout.trim());
      const program = await waitFor(() => childrenOf(shell)[0], 5_000, 'the program under tmux');
      const waiter = tmux.run(['wait-for', tag]);
      await sleep(30);
      const t0 = performance.now();
      process.kill(program, 'SIGKILL');
      await waiter;
      return performance.now() - t0;
    };
    const bareOnce = () =>
      new Promise((resolve) => {
        const proc = pty.spawn('sleep', ['600'], { cols: 80, rows: 24 });
        ctx.pids.track(proc.pid);
        setTimeout(() => {
          const t0 = performance.now();
          proc.onExit(() => resolve(performance.now() - t0));
          process.kill(proc.pid, 'SIGKILL');
        }, 30);
      });
    // The follower is live once it has reported a first exit.
    await ccxOnce();
    for (let i = 0; i < probes; i++) {
      samples['ccx events -f'].push(await ccxOnce());
      if (tmux) samples[TMUX_EXIT].push(await tmuxOnce());
      samples['node-pty onExit, bare (floor)'].push(await bareOnce());
    }
    return samples;
  } finally {
    follower.kill('SIGKILL');
  }
}

export async function run(ctx) {
  const home = ctx.newHome();
  await home.ensureDaemon();
  const conn = await home.connect();
  const tmux = ctx.hasTmux ? await ctx.newTmux() : undefined;
  const echo = await echoLatency(ctx, home, conn, tmux);
  const exit = await exitLatency(ctx, home, conn, tmux);
  const echoStats = Object.fromEntries(Object.entries(echo).map(([k, v]) => [k, summarize(v)]));
  const exitStats = Object.fromEntries(Object.entries(exit).map(([k, v]) => [k, summarize(v)]));
  const attach = echoStats['ccx attach'];
  const events = exitStats['ccx events -f'];
  const columns = ['path', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p50 ÷ floor', 'samples'];
  return {
    description:
      'Echo: one character typed into the terminal of an attached client until it shows up in that terminal, the program being `cat` (the PTY line discipline echoes); a keystroke every ~20 ms. Exit: SIGKILL to the program until a follower learns of it — for ccx the `process-exit` line printed by `ccx events -f --json`; for tmux, which has no event stream, a `wait-for` client signalled by the shell wrapping the program; the floor is node-pty\'s exit callback in the bench process itself.',
    tables: [
      { caption: 'Keystroke echo', columns, rows: Object.entries(echoStats).map(([k, s]) => statRow(k, s, echoStats['bare PTY (floor)'].median)) },
      { caption: 'Program exit → notification', columns, rows: Object.entries(exitStats).map(([k, s]) => statRow(k, s, exitStats['node-pty onExit, bare (floor)'].median)) },
    ],
    targets: [
      { target: 'attach echo p99 < 10 ms', measured: `p99 ${ms(attach.p99)} ms (p50 ${ms(attach.median)} ms; tmux p99 ${ms(echoStats['tmux attach']?.p99)} ms)`, met: attach.p99 < 10, limit: attach.p99 < 10 ? '' : 'scheduling of three processes (client, daemon, program) on 2 loaded cores' },
      { target: 'process-exit → event at a follower p99 < 50 ms', measured: `p99 ${ms(events.p99)} ms (p50 ${ms(events.median)} ms)`, met: events.p99 < 50, limit: events.p99 < 50 ? '' : 'node-pty exit detection' },
    ],
    data: { echo, exit, echoStats, exitStats },
  };
}
