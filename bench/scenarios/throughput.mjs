// 3. Throughput: one program printing a ~20 MB text file as fast as it can,
// until it has exited and every byte has been processed (ccx: output log
// written and screen parsed). Peers: tmux (waited on with wait-for), and the
// floor — a bare node-pty script that only reads the output — plus the same
// script feeding a headless xterm, which shows what screen tracking costs.
import { alternate } from '../lib/alternate.mjs';
import { mb, ms, x } from '../lib/format.mjs';
import { catInCcx, catInTmux, rawPtyCat } from '../lib/cat-runs.mjs';
import { ExitWatcher } from '../lib/exit-watcher.mjs';
import { mbPerSecond, median, ratio, summarize } from '../lib/stats.mjs';

export const id = 'throughput';
export const title = '3. Throughput';

export async function run(ctx) {
  const file = ctx.textFile(ctx.opts.throughputMB);
  const { home, conn, watcher } = await ExitWatcher.open(ctx);
  const tmux = ctx.hasTmux ? await ctx.newTmux() : undefined;
  const expected = file.bytes + file.lines; // the PTY turns each \n into \r\n
  // CPU time of the server (ccx daemon, tmux server; the bare script's own),
  // which load from elsewhere on the machine disturbs far less than wall time.
  const cpu = {};
  const measured = (name, runOnce) => async () => {
    const r = await runOnce();
    (cpu[name] ??= []).push(r.cpu);
    return r.ms;
  };
  const tools = {
    ccx: measured('ccx', () => catInCcx(home, conn, watcher, file.path, expected)),
    ...(tmux && { tmux: measured('tmux', () => catInTmux(tmux, file.path)) }),
    'node-pty, bare (floor)': measured('node-pty, bare (floor)', () => rawPtyCat(ctx, file.path, expected)),
    'node-pty + @xterm/headless, bare': measured('node-pty + @xterm/headless, bare', () => rawPtyCat(ctx, file.path, expected, { xterm: true })),
  };
  const samples = await alternate(ctx.opts.throughputReps, tools);
  const stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  // The warm-up round is measured too; its CPU sample is dropped like its time.
  const cpuMedian = (name) => median(cpu[name].slice(-stats[name].n));
  const ccx = stats.ccx.median;
  const tmuxMs = stats.tmux?.median ?? NaN;
  const floor = stats['node-pty, bare (floor)'].median;
  const vsTmux = ratio(ccx, tmuxMs);
  const ofFloor = ratio(floor, ccx);
  return {
    description: `\`cat\` of a ${(file.bytes / 1e6).toFixed(1)} MB text file (${file.lines} lines of 80 columns) in an 80×24 terminal, from the start request until the program has exited and all output is processed. ccx: \`session.start\` over a connected client until the \`process-exit\` event, then \`session.screen\` (answers once the screen has parsed every byte); the output log is checked to hold all ${expected} bytes. tmux: \`new-session -d\` running \`cat FILE; tmux wait-for -S\`, waited on by \`tmux wait-for\`. MB/s counts the file's bytes.`,
    tables: [
      {
        columns: ['tool', 'median ms', 'p90 ms', 'MB/s', 'time ÷ ccx', 'server CPU ms', 'runs'],
        rows: Object.entries(stats).map(([k, s]) => [k, ms(s.median), ms(s.p90), mb(mbPerSecond(file.bytes, s.median)), x(ratio(s.median, ccx)), ms(cpuMedian(k)), s.n]),
      },
    ],
    notes: [
      'Server CPU ms: CPU time the ccx daemon / tmux server used during the run (10 ms resolution); for the bare scripts their own CPU time including node\'s start-up (~40 ms).',
      `ccx ÷ tmux time: ${x(vsTmux)}; ccx rate as a share of the bare node-pty floor: ${Math.round(ofFloor * 100)} %.`, watcher.streaming ? 'exit learned from the events stream' : 'exit learned by polling session.get every 5 ms (no events stream in this daemon)',
    ],
    targets: [
      {
        target: 'throughput ≥ tmux (time ratio ≤ 1.0)',
        measured: `${x(vsTmux)} (${ms(ccx)} ms vs ${ms(tmuxMs)} ms)`,
        met: tmux ? vsTmux <= 1.0 : undefined,
        limit: !tmux ? 'tmux is not installed' : vsTmux <= 1.0 ? '' : `daemon CPU ${ms(cpuMedian('ccx'))} ms vs tmux server ${tmux ? ms(cpuMedian('tmux')) : '–'} ms per run; the screen worker parsing with @xterm/headless (see the bare node-pty + xterm row) can fall behind the PTY on a loaded machine`,
      },
      {
        target: 'throughput ≥ 50 % of bare node-pty',
        measured: `${Math.round(ofFloor * 100)} % (${mb(mbPerSecond(file.bytes, ccx))} vs ${mb(mbPerSecond(file.bytes, floor))} MB/s)`,
        met: ofFloor >= 0.5,
        limit: ofFloor >= 0.5 ? '' : 'the screen worker (@xterm/headless, see the bare node-pty + xterm row) falling behind the PTY, or both cores busy',
      },
    ],
    data: { samples, cpu, stats, fileBytes: file.bytes, expectedOutputBytes: expected },
  };
}
