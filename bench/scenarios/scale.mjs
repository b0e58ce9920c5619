// 6. Scale. Many idle shells: the daemon's memory per session and `ccx list`
// with 200 sessions against 1 (tmux alike). Then 50 programs printing at
// once: aggregate throughput against tmux and the bare node-pty floor.
import { performance } from 'node:perf_hooks';
import { alternate } from '../lib/alternate.mjs';
import { catManyInTmux, rawPtyCat } from '../lib/cat-runs.mjs';
import { ExitWatcher } from '../lib/exit-watcher.mjs';
import { mb, mib, ms, x } from '../lib/format.mjs';
import { CCX_BIN, rssBytes, sleep } from '../../packages/testkit/dist/index.js';
import { timeOk } from '../lib/proc.mjs';
import { mbPerSecond, median, ratio, summarize } from '../lib/stats.mjs';

export const id = 'scale';
export const title = '6. Scale';

const SHELL = ['bash', '--noprofile', '--norc', '-i'];
const SETTLE_MS = 3_000;

/** Median of a few RSS readings after a quiet period, so one GC does not decide the figure. */
async function settledRss(pid) {
  await sleep(SETTLE_MS);
  const readings = [];
  for (let i = 0; i < 5; i++) {
    readings.push(rssBytes(pid) ?? NaN);
    await sleep(200);
  }
  return median(readings);
}

async function listTimes(ctx, home, tmux, reps) {
  const samples = await alternate(reps, {
    'node -e 0': async () => (await timeOk(ctx.pids, process.execPath, ['-e', '0'])).ms,
    'ccx list': async () => (await timeOk(ctx.pids, process.execPath, [CCX_BIN, 'list'], { env: home.env })).ms,
    ...(tmux && { 'tmux list-sessions': async () => (await tmux.run(['list-sessions'])).ms }),
  });
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
}

async function idleSessions(ctx) {
  const count = ctx.opts.scaleIdleSessions;
  const home = ctx.newHome();
  const daemonPid = await home.ensureDaemon();
  const conn = await home.connect();
  await home.startSession(conn, SHELL);
  const tmux = ctx.hasTmux ? await ctx.newTmux(SHELL.join(' '), 's0') : undefined;
  const rss1 = { ccx: await settledRss(daemonPid), tmux: tmux ? (rssBytes(tmux.pid) ?? NaN) : NaN };
  const list1 = await listTimes(ctx, home, tmux, ctx.opts.scaleListReps);
  for (let i = 1; i < count; i++) {
    await home.startSession(conn, SHELL);
    await tmux?.run(['new-session', '-d', '-s', `s${i}`, '-x', '80', '-y', '24', SHELL.join(' ')]);
  }
  const rssN = { ccx: await settledRss(daemonPid), tmux: tmux ? (rssBytes(tmux.pid) ?? NaN) : NaN };
  const listN = await listTimes(ctx, home, tmux, ctx.opts.scaleListReps);
  const running = (await conn.request('session.list', {})).length;
  if (running !== count) throw new Error(`expected ${count} running ccx sessions, found ${running}`);
  await home.stopDaemon();
  await tmux?.cleanup();
  const perSession = (k) => (rssN[k] - rss1[k]) / (count - 1);
  return { count, rss1, rssN, perSession: { ccx: perSession('ccx'), tmux: perSession('tmux') }, list1, listN };
}

async function parallelPrinting(ctx) {
  const count = ctx.opts.scaleParallelSessions;
  const file = ctx.textFile(ctx.opts.scaleParallelMB);
  const expected = file.bytes + file.lines;
  const { home, conn, watcher } = await ExitWatcher.open(ctx);
  const tmux = ctx.hasTmux ? await ctx.newTmux() : undefined;
  const samples = await alternate(ctx.opts.scaleParallelReps, {
    ccx: async () => {
      const t0 = performance.now();
      const infos = await Promise.all(Array.from({ length: count }, () => home.startSession(conn, ['cat', file.path])));
      await Promise.all(infos.map(async (info) => {
        await watcher.wait(info.id, 300_000);
        await conn.request('session.screen', { target: info.id });
      }));
      const took = performance.now() - t0;
      const after = await conn.request('session.list', { all: true });
      const short = after.filter((s) => infos.some((i) => i.id === s.id) && s.outputBytes !== expected);
      if (short.length) throw new Error(`${short.length} of ${count} sessions logged fewer than ${expected} bytes`);
      await conn.request('session.rm', { targets: infos.map((i) => i.id) });
      return took;
    },
    ...(tmux && { tmux: async () => (await catManyInTmux(tmux, file.path, count)).ms }),
    'node-pty, bare (floor)': async () => (await rawPtyCat(ctx, file.path, expected, { count })).ms,
  });
  const stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  return { count, file, stats, samples };
}

export async function run(ctx) {
  const idle = await idleSessions(ctx);
  ctx.log(`   ${idle.count} idle shells: ${mib(idle.perSession.ccx)} daemon RSS per session`);
  const parallel = await parallelPrinting(ctx);
  const total = parallel.count * parallel.file.bytes;
  const ccxMs = parallel.stats.ccx.median;
  const perSessionMiB = idle.perSession.ccx / 2 ** 20;
  const listRatio = ratio(idle.listN['ccx list'].median, idle.list1['ccx list'].median);
  return {
    description: `${idle.count} idle \`${SHELL.join(' ')}\` sessions in one daemon (and in one tmux server). Memory is the daemon's (tmux server's) resident set after a ${SETTLE_MS / 1000} s quiet period, with ${idle.count} sessions minus with 1, divided by ${idle.count - 1}; the shells' own memory is not counted for either. Then ${parallel.count} sessions each \`cat\` a ${(parallel.file.bytes / 1e6).toFixed(1)} MB file at the same time, until all have exited and all output is processed.`,
    tables: [
      {
        caption: 'Idle sessions',
        columns: ['measure', 'ccx', 'tmux', 'ccx ÷ tmux'],
        rows: [
          ['server RSS with 1 session', mib(idle.rss1.ccx), mib(idle.rss1.tmux), x(ratio(idle.rss1.ccx, idle.rss1.tmux))],
          [`server RSS with ${idle.count} sessions`, mib(idle.rssN.ccx), mib(idle.rssN.tmux), x(ratio(idle.rssN.ccx, idle.rssN.tmux))],
          ['RSS per idle session', mib(idle.perSession.ccx), mib(idle.perSession.tmux), x(ratio(idle.perSession.ccx, idle.perSession.tmux))],
          [`list, 1 session (median ms)`, ms(idle.list1['ccx list'].median), ms(idle.list1['tmux list-sessions']?.median), x(ratio(idle.list1['ccx list'].median, idle.list1['tmux list-sessions']?.median))],
          [`list, ${idle.count} sessions (median ms)`, ms(idle.listN['ccx list'].median), ms(idle.listN['tmux list-sessions']?.median), x(ratio(idle.listN['ccx list'].median, idle.listN['tmux list-sessions']?.median))],
          [`list time, ${idle.count} ÷ 1 sessions`, x(listRatio), x(ratio(idle.listN['tmux list-sessions']?.median, idle.list1['tmux list-sessions']?.median)), ''],
          ['`node -e 0` during the list runs (1 → many)', `${ms(idle.list1['node -e 0'].median)} → ${ms(idle.listN['node -e 0'].median)} ms`, '', ''],
        ],
      },
      {
        caption: `${parallel.count} sessions printing at once`,
        columns: ['tool', 'median ms', 'aggregate MB/s', 'time ÷ ccx', 'runs'],
        rows: Object.entries(parallel.stats).map(([k, s]) => [k, ms(s.median), mb(mbPerSecond(total, s.median)), x(ratio(s.median, ccxMs)), s.n]),
      },
    ],
    notes: [`${idle.count} sessions make \`ccx list\` ${x(listRatio)} as slow as 1 session.`],
    targets: [
      {
        target: '≤ 3 MB daemon RSS per idle session',
        measured: `${perSessionMiB.toFixed(2)} MiB${ctx.hasTmux ? ` (tmux: ${(idle.perSession.tmux / 2 ** 20).toFixed(2)} MiB)` : ''}`,
        met: idle.perSession.ccx <= 3e6,
        limit: idle.perSession.ccx <= 3e6 ? '' : 'a headless xterm (buffer + scrollback) per session',
      },
    ],
    data: { idle, parallel: { count: parallel.count, fileBytes: parallel.file.bytes, stats: parallel.stats, samples: parallel.samples } },
  };
}
