// 4. Fan-out: the throughput run with 1, 10 and 50 `ccx logs -f` followers
// attached. Every follower must receive every byte (checked against the
// output log on disk, by length and sha256).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ExitWatcher } from '../lib/exit-watcher.mjs';
import { mb, ms, x } from '../lib/format.mjs';
import { cpuMs, LogFollower, withTimeout } from '../../packages/testkit/dist/index.js';
import { reapedChildrenCpuMs } from '../lib/proc.mjs';
import { median, mbPerSecond, ratio } from '../lib/stats.mjs';

export const id = 'fan-out';
export const title = '4. Fan-out to `logs -f` followers';
/** CLI commands this scenario drives; without them it is reported as not measured. */
export const requires = ['logs'];
export const plannedTargets = ['50 followers: every byte delivered', '50 followers: all delivered at ≥ 50 % of the rate their CPU allows', 'daemon and follower CPU per MB at 10 and 50 followers: ≤ ½ of 80ff21a\'s'];

const READY = 'ccx-bench-ready';

function logDigest(home, sessionId) {
  const dir = join(home.paths.sessionsDir ?? join(home.dir, 'state', 'sessions'), sessionId);
  const hash = createHash('sha256');
  let bytes = 0;
  for (const name of readdirSync(dir).filter((f) => f.startsWith('output-')).sort()) {
    const data = readFileSync(join(dir, name));
    bytes += data.length;
    hash.update(data);
  }
  return { bytes, digest: hash.digest('hex') };
}

/** One run: N followers attached before the program starts printing. */
async function fanOutRun(ctx, home, conn, watcher, file, count) {
  // The program waits for a line before printing, so every follower is
  // connected (it has seen the marker) when the flood starts.
  const info = await home.startSession(conn, ['sh', '-c', `echo ${READY}; read _; exec cat '${file}'`]);
  const reaped0 = reapedChildrenCpuMs();
  const followers = Array.from({ length: count }, () => new LogFollower((args) => home.spawn(args), info.id, READY));
  try {
    await withTimeout(Promise.all(followers.map((f) => f.ready)), 120_000, `${count} followers to connect`);
    // What the followers spent starting up and connecting, taken while they
    // are alive, so that only the streaming counts per MB.
    const followersStartCpu = followers.reduce((sum, f) => sum + cpuMs(f.pid), 0);
    const cpu0 = cpuMs(conn.daemonPid);
    const t0 = performance.now();
    await conn.request('session.send', { target: info.id, keys: ['Enter'] });
    await watcher.wait(info.id, 600_000);
    await conn.request('session.screen', { target: info.id });
    const programDone = performance.now() - t0;
    await withTimeout(Promise.all(followers.map((f) => f.done)), 600_000, `${count} followers to receive everything`);
    const allDelivered = Math.max(...followers.map((f) => f.endedAt)) - t0;
    const daemonCpu = cpuMs(conn.daemonPid) - cpu0;
    const followersCpu = reapedChildrenCpuMs() - reaped0 - followersStartCpu;
    const log = logDigest(home, info.id);
    const complete = followers.filter((f) => f.bytes === log.bytes && f.digest === log.digest).length;
    for (const f of followers.filter((f) => f.bytes !== log.bytes || f.digest !== log.digest)) {
      ctx.log(`   follower ${f.pid}: ${f.bytes} of ${log.bytes} bytes, exit code ${f.exitCode}: ${f.stderr.trim().slice(0, 300)}`);
    }
    await conn.request('session.rm', { targets: [info.id] });
    const deliveredMB = (count * log.bytes) / 1e6;
    return { programDone, allDelivered, daemonCpu, daemonCpuPerMB: daemonCpu / deliveredMB, followersCpu, followerCpuPerMB: followersCpu / deliveredMB, complete, count, logBytes: log.bytes, shortest: Math.min(...followers.map((f) => f.bytes)) };
  } finally {
    for (const f of followers) f.kill();
  }
}

export async function run(ctx) {
  const file = ctx.textFile(ctx.opts.throughputMB);
  const { home, conn, watcher } = await ExitWatcher.open(ctx);
  const runs = {};
  // Alternating counts per repetition, as the other scenarios alternate tools.
  for (let rep = 0; rep < ctx.opts.fanOutReps; rep++) {
    const counts = rep % 2 === 0 ? ctx.opts.fanOutFollowers : [...ctx.opts.fanOutFollowers].reverse();
    for (const count of counts) {
      const r = await fanOutRun(ctx, home, conn, watcher, file.path, count);
      ctx.log(`   ${count} followers: program done ${ms(r.programDone)} ms, all delivered ${ms(r.allDelivered)} ms, complete ${r.complete}/${count}`);
      (runs[count] ??= []).push(r);
    }
  }
  const rows = [];
  const fewestCount = Math.min(...ctx.opts.fanOutFollowers);
  const base = runs[Math.min(...ctx.opts.fanOutFollowers)];
  const baseProgram = median(base.map((r) => r.programDone));
  const baseAll = median(base.map((r) => r.allDelivered));
  const summary = {};
  for (const [count, list] of Object.entries(runs)) {
    const program = median(list.map((r) => r.programDone));
    const all = median(list.map((r) => r.allDelivered));
    const complete = list.every((r) => r.complete === r.count);
    const daemonCpuPerMB = median(list.map((r) => r.daemonCpuPerMB));
    const followerCpuPerMB = median(list.map((r) => r.followerCpuPerMB));
    const daemonCpu = median(list.map((r) => r.daemonCpu));
    summary[count] = { program, all, complete, daemonCpu, daemonCpuPerMB, followerCpuPerMB, followersCpu: median(list.map((r) => r.followersCpu)) };
    rows.push([
      count,
      ms(program),
      mb(mbPerSecond(file.bytes, program)),
      x(ratio(baseProgram, program)),
      ms(all),
      mb(mbPerSecond(file.bytes, all)),
      x(ratio(baseAll, all)),
      `${ms(median(list.map((r) => r.daemonCpu)))} (${Math.round((100 * median(list.map((r) => r.daemonCpu))) / all)} %)`,
      daemonCpuPerMB.toFixed(2),
      // What each follower past the first costs the daemon: the program's own cost (PTY, log, screen) is in the 1-follower run.
      Number(count) > fewestCount ? ((daemonCpu - median(base.map((r) => r.daemonCpu))) / (((Number(count) - fewestCount) * file.bytes) / 1e6)).toFixed(2) : '',
      followerCpuPerMB.toFixed(2),
      complete ? `yes, ${count}/${count}` : `**no**: ${list.map((r) => `${r.complete}/${r.count}`).join(', ')}`,
      list.length,
    ]);
  }
  const most = Math.max(...ctx.opts.fanOutFollowers);
  const fewest = Math.min(...ctx.opts.fanOutFollowers);
  const programShare = ratio(baseProgram, summary[most].program);
  const deliveryShare = ratio(baseAll, summary[most].all);
  // What the machine allows: the followers' and the daemon's CPU time, spread
  // over every core, is the least wall time the run can take.
  const cpuFloorMs = (summary[most].daemonCpu + summary[most].followersCpu) / ctx.cpuCount;
  const allowedShare = Math.min(1, ratio(baseAll, cpuFloorMs));
  return {
    description: `The throughput run (${(file.bytes / 1e6).toFixed(1)} MB \`cat\`) with N \`ccx logs -f ID --raw\` processes following the session from before the first byte. "Program done" is the scenario-3 measure (exit + output log + screen); "all delivered" is when the last follower has printed the last byte and exited. Each follower's bytes are checked against the output log on disk (length and sha256). Rate shares are relative to the ${fewest}-follower run.`,
    tables: [
      {
        columns: ['followers', 'program done ms', 'MB/s', 'share of 1-follower rate', 'all delivered ms', 'MB/s', 'share of 1-follower rate', 'daemon CPU ms (share of the wall time)', 'daemon CPU ms per delivered MB', 'daemon CPU ms per MB per added follower', 'CPU ms per MB per follower', 'every byte at every follower', 'runs'],
        rows,
      },
    ],
    notes: [
      '"Per MB per added follower" is (daemon CPU with N followers − with 1) ÷ ((N − 1) × the log size): the cost of delivery alone, without reading the program (PTY, output log, screen), which the 1-follower run already pays.',
      '"Per delivered MB" divides by N × the log size: what it costs to get one MB to one follower. A follower\'s CPU is what its process spent from the flood\'s start to its exit (its start-up, measured before the flood, is left out).',
      'Daemon CPU well below 100 % of the wall time means the daemon is not what limits the run: the follower processes (each decodes and prints every byte), the bench reading and hashing their output, and the program share the same cores, and the scheduler gives the program only its fair share.',
      `With ${most} followers the daemon sends ${most} × ${(file.bytes / 1e6).toFixed(0)} MB through its socket and ${most} CLI processes decode it, on ${ctx.cpuCount} cores shared with the program and the bench.`,
    ],
    targets: [
      {
        target: `${most} followers: every byte delivered`,
        measured: summary[most].complete ? 'every follower got every byte (sha256 checked)' : 'bytes missing',
        met: summary[most].complete,
      },
      {
        target: `${most} followers: all delivered at ≥ 50 % of the rate their CPU allows`,
        measured: `all followers done: ${Math.round(deliveryShare * 100)} % of the 1-follower rate; the CPU allows ${Math.round(allowedShare * 100)} % (daemon ${ms(summary[most].daemonCpu)} ms + followers ${ms(summary[most].followersCpu)} ms of CPU on ${ctx.cpuCount} cores ≥ ${ms(cpuFloorMs)} ms); program: ${Math.round(programShare * 100)} %`,
        met: deliveryShare >= 0.5 * allowedShare,
        limit: `CPU: ${most} follower processes reading and printing ${most} copies (${summary[most].followerCpuPerMB.toFixed(1)} ms per MB each) share ${ctx.cpuCount} cores with the daemon, the program and the bench; 50 % of the 1-follower rate would need ${ms(2 * baseAll)} ms for all of it`,
      },
      ...halvingTargets(summary),
    ],
    data: { runs },
  };
}

/**
 * CPU per MB of the build this work started from (80ff21a, base64 in JSON
 * frames), the medians of three runs alternated with the change on the same
 * machine (docs/benchmark-history.md): the targets are half of each. They are
 * figures of one day: the same builds measured ~1.5 × higher on a slower day,
 * so a miss is checked against 80ff21a run alternately on the machine of the
 * day (the recipe in docs/benchmark-history.md), which the "limits" column says.
 */
const BEFORE_CPU_MS_PER_MB = {
  daemon: { 10: 6.27, 50: 3.87 },
  follower: { 10: 7.01, 50: 7.05 },
};

function halvingTargets(summary) {
  const targets = [];
  for (const [who, label, key] of [['daemon', 'daemon CPU per delivered MB', 'daemonCpuPerMB'], ['follower', 'follower CPU per MB', 'followerCpuPerMB']]) {
    for (const [count, before] of Object.entries(BEFORE_CPU_MS_PER_MB[who])) {
      const measured = summary[count]?.[key];
      if (measured === undefined) continue;
      const met = measured <= before / 2;
      targets.push({
        target: `${count} followers: ${label} ≤ ½ of 80ff21a's (${before} ms)`,
        measured: `${measured.toFixed(2)} ms (${(measured / before).toFixed(2)} × 80ff21a's)`,
        met,
        ...(met ? {} : { limit: `the ${before} ms was measured on another day: compare with 80ff21a run alternately on this machine (docs/benchmark-history.md, "Against 80ff21a on the machine of the day")` }),
      });
    }
  }
  return targets;
}
