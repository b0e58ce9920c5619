// Drill 2 — soak and leaks: sessions created, sent to, cancelled and removed
// in waves (at most `wave` alive at once), while short-lived followers attach
// and vanish without a goodbye. Afterwards every count the daemon keeps —
// connections, streams, bus subscribers, output listeners, exit waiters,
// attached clients, open fds — is back at its post-warm-up baseline, RSS
// after full GCs is within `rssTolerancePct` of it, and no process of any
// session is left.
import { Client, crashLines, fdCount, fdKinds, FOLLOWER_KINDS, isAlive, makeHome, outputLogBytes, processesOfHome, rssBytes, sleep, startFollower, waitFor } from '../packages/testkit/dist/index.js';
import { forceGc, gcEnv } from './lib/gc.mjs';
import { mib, pool, Report, rng } from './lib/report.mjs';

export const SOAK_DEFAULTS = { sessions: 1_000, wave: 50, followers: 1_000, cliFollowerShare: 0.1, cliOpsPerWave: 2, warmupWaves: 8, rssTolerancePct: 20, seed: 11 };
export const SOAK_SMOKE = { sessions: 60, wave: 20, followers: 60, cliFollowerShare: 0.1, cliOpsPerWave: 1, warmupWaves: 1, rssTolerancePct: 40, seed: 11 };

/** The programs a wave runs: mostly cat, some shells, some that ignore SIGINT so cancel must escalate. */
const PROGRAMS = [
  { weight: 7, kind: 'cat', command: ['cat'], line: (m) => m },
  { weight: 2, kind: 'bash', command: ['bash', '--norc', '--noprofile'], line: (m) => `echo ${m}` },
  { weight: 1, kind: 'ignores-int', command: ['bash', '--norc', '--noprofile', '-c', 'trap "" INT; while read -r l; do echo "got:$l"; done'], line: (m) => m },
];

function pickProgram(r) {
  let x = r.next() * PROGRAMS.reduce((s, p) => s + p.weight, 0);
  for (const p of PROGRAMS) if ((x -= p.weight) <= 0) return p;
  return PROGRAMS[0];
}

/** The counts a leak would move, from `daemon status`. */
function counts(status) {
  const r = status.resources ?? {};
  return {
    clients: status.clients,
    streams: r.streams,
    subscribers: status.events.subscribers,
    outputListeners: r.outputListeners,
    exitWaiters: r.exitWaiters,
    attachedClients: r.attachedClients,
    fds: r.fds,
    sessions: status.sessions.total,
  };
}

function percentile(values, p) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}

export async function soakDrill(options = {}) {
  const opts = { ...SOAK_DEFAULTS, ...options };
  const report = new Report('soak');
  const home = makeHome('ccxk-');
  const followerStats = { handshakeRetries: 0 };
  const r = rng(opts.seed);
  const latency = { start: [], send: [], cancel: [], rm: [] };
  const tallies = { sessions: 0, markersSent: 0, markersSeen: 0, followers: {}, followerErrors: 0, followerErrorMessages: [], cancelStatus: {}, strayAfterWave: 0, opErrors: [] };
  let live = [];
  try {
    const inspector = await gcEnv();
    Object.assign(home.env, inspector.env, opts.daemonEnv ?? {});
    const daemonPid = await home.startDaemon();
    const clients = await Promise.all(Array.from({ length: 4 }, () => Client.connect(home.socketPath)));
    let rr = 0;
    const request = async (kind, method, params) => {
      const t0 = performance.now();
      try {
        return await clients[rr++ % clients.length].request(method, params, 60_000);
      } finally {
        latency[kind]?.push(performance.now() - t0);
      }
    };
    const retained = async () => {
      const collected = await forceGc(daemonPid, inspector.port);
      return { collected, rss: mib(rssBytes(daemonPid)), status: await home.status() };
    };

    let serial = 0;
    /** One wave: start `count` sessions, follow, send, check, cancel, remove. */
    const wave = async (count, followerCount) => {
      const sessions = [];
      await pool(Array.from({ length: count }), 8, async (_, i) => {
        const program = pickProgram(r);
        const name = `soak-${serial++}`;
        let info;
        if (i < opts.cliOpsPerWave && program.kind === 'cat') {
          const t0 = performance.now();
          const out = await home.ccx(['start', '--json', '--name', name, '--', ...program.command]);
          latency.start.push(performance.now() - t0);
          if (out.code !== 0) throw new Error(`ccx start failed: ${out.stderr}`);
          info = JSON.parse(out.stdout);
          info.viaCli = true;
        } else {
          info = await request('start', 'session.start', { command: program.command, name, cols: 80, rows: 24 });
        }
        sessions.push({ ...info, program, viaCli: !!info.viaCli });
      });
      live = sessions;
      tallies.sessions += sessions.length;

      // Followers come and go at random points of the wave, some after their session ended or was removed.
      const followers = [];
      const followerRuns = Array.from({ length: followerCount }, async () => {
        const kind = r.chance(opts.cliFollowerShare) ? r.pick(FOLLOWER_KINDS.filter((k) => k.startsWith('cli-'))) : r.pick(FOLLOWER_KINDS.filter((k) => k.startsWith('raw-')));
        const target = r.pick(sessions);
        await sleep(r.int(0, 800));
        try {
          const f = await startFollower(home, kind, target.id, r, followerStats);
          followers.push(f);
          tallies.followers[kind] = (tallies.followers[kind] ?? 0) + 1;
          await sleep(r.int(20, 2_500));
          f.vanish();
        } catch (error) {
          // The session may be gone already: a follower of a removed session is refused, which is fine.
          if (!/E_NOT_FOUND|E_NOT_RUNNING/.test(String(error?.code ?? error))) {
            tallies.followerErrors++;
            tallies.followerErrorMessages.push(`${kind}: ${String(error?.message ?? error)}`);
          }
        }
      });

      await pool(sessions, 16, async (s) => {
        const marker = `mk-${s.id}-${r.int(100_000, 999_999)}`;
        s.marker = marker;
        tallies.markersSent++;
        if (s.viaCli) {
          const t0 = performance.now();
          const out = await home.ccx(['send', s.id, s.program.line(marker)]);
          latency.send.push(performance.now() - t0);
          if (out.code !== 0) tallies.opErrors.push(`send ${s.id}: ${out.stderr.trim()}`);
        } else await request('send', 'session.send', { target: s.id, text: s.program.line(marker), enter: true, enterDelayMs: 20 });
      });
      // Nothing lost: every marker reaches its session's output log on disk.
      await pool(sessions, 16, async (s) => {
        const seen = await waitFor(() => outputLogBytes(home, s.id).includes(s.marker), 20_000, `marker in ${s.id}`).catch(() => false);
        if (seen) tallies.markersSeen++;
      });

      await pool(sessions, 16, async (s) => {
        if (s.viaCli) {
          const t0 = performance.now();
          const out = await home.ccx(['cancel', s.id, '--grace', '0.2', '--json']);
          latency.cancel.push(performance.now() - t0);
          const status = out.code === 0 ? JSON.parse(out.stdout).session?.status : `exit ${out.code}`;
          tallies.cancelStatus[status] = (tallies.cancelStatus[status] ?? 0) + 1;
        } else {
          const res = await request('cancel', 'session.cancel', { target: s.id, graceMs: 200 }).catch((e) => ({ session: { status: e.code } }));
          tallies.cancelStatus[res.session.status] = (tallies.cancelStatus[res.session.status] ?? 0) + 1;
        }
      });
      const viaCli = sessions.filter((s) => s.viaCli);
      if (viaCli.length) {
        const t0 = performance.now();
        const out = await home.ccx(['rm', ...viaCli.map((s) => s.id)]);
        latency.rm.push(performance.now() - t0);
        if (out.code !== 0) tallies.opErrors.push(`rm: ${out.stderr.trim()}`);
      }
      const rest = sessions.filter((s) => !s.viaCli).map((s) => s.id);
      for (let i = 0; i < rest.length; i += 10) await request('rm', 'session.rm', { targets: rest.slice(i, i + 10) });

      await Promise.all(followerRuns);
      for (const f of followers) f.vanish();
      live = [];
      const stray = processesOfHome(home.dir, { sessionsOnly: true });
      tallies.strayAfterWave = Math.max(tallies.strayAfterWave, stray.length);
    };

    // Warm-up waves, then the baseline: followers gone, full GCs done. The
    // allocator keeps growing over the first few hundred sessions (RSS after
    // GC +20 % from 50 to 400 sessions, then < 1 % per 200), so the baseline
    // is taken after them.
    for (let w = 0; w < opts.warmupWaves; w++) await wave(opts.wave, Math.round(opts.followers / (opts.sessions / opts.wave)));
    const settle = async () =>
      waitFor(
        async () => {
          const c = counts(await home.status());
          return c.clients <= clients.length + 1 && c.streams === 0 && c.attachedClients === 0 ? c : undefined;
        },
        20_000,
        'followers to be gone',
      ).catch(async () => counts(await home.status()));
    await settle();
    const base = await retained();
    report.check('full GCs could be run in the daemon', base.collected);
    const baseline = counts(base.status);
    const fdsBaseline = fdCount(daemonPid);
    const fdKindsBaseline = fdKinds(daemonPid);
    report.figure('baseline', { ...baseline, procFds: fdsBaseline, rssMiB: base.rss, heapMiB: mib(base.status.resources?.heapUsedBytes) });
    for (const k of Object.keys(latency)) latency[k] = [];
    tallies.sessions = 0;
    tallies.markersSent = tallies.markersSeen = 0;
    tallies.followers = {};

    const waves = Math.ceil(opts.sessions / opts.wave);
    const followersPerWave = Math.ceil(opts.followers / waves);
    const waveSeconds = [];
    const curve = [];
    let maxAlive = 0;
    for (let w = 0; w < waves; w++) {
      const t0 = performance.now();
      const count = Math.min(opts.wave, opts.sessions - w * opts.wave);
      const alivePoll = setInterval(() => (maxAlive = Math.max(maxAlive, live.length)), 100);
      await wave(count, Math.min(followersPerWave, opts.followers - Object.values(tallies.followers).reduce((a, b) => a + b, 0)));
      clearInterval(alivePoll);
      waveSeconds.push((performance.now() - t0) / 1000);
      if ((w + 1) % Math.max(1, Math.floor(waves / 5)) === 0) {
        const m = await retained();
        curve.push(`${tallies.sessions}:${m.rss}/${mib(m.status.resources?.heapUsedBytes)}`);
      }
    }
    report.figure('sessionsCycled', tallies.sessions);
    report.figure('waves', waves);
    report.figure('maxSessionsAlive', maxAlive);
    report.figure('followers', Object.values(tallies.followers).reduce((a, b) => a + b, 0));
    report.figure('followerHandshakeRetries', followerStats.handshakeRetries);
    report.figure('followersByKind', tallies.followers);
    report.figure('waveSecondsP50/Max', `${Math.round(percentile(waveSeconds, 50) * 10) / 10}/${Math.round(Math.max(...waveSeconds) * 10) / 10}`);
    report.figure('latencyMsP50/P95', Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, `${percentile(v, 50)}/${percentile(v, 95)}`])));
    report.figure('cancelsInclWarmup', tallies.cancelStatus);
    report.figure('afterGcRssHeapMiB', curve.join(' '));
    report.figure('markersSeen', `${tallies.markersSeen}/${tallies.markersSent}`);
    report.check('every sent line reached its session output log', tallies.markersSeen === tallies.markersSent, { seen: tallies.markersSeen, sent: tallies.markersSent });
    report.check('every cancel ended its session as cancelled', Object.keys(tallies.cancelStatus).every((s) => s === 'cancelled'), tallies.cancelStatus);
    report.check('at most one wave of sessions alive at once', maxAlive <= opts.wave, maxAlive);
    report.check('no CLI operation failed', tallies.opErrors.length === 0, tallies.opErrors.slice(0, 3));
    report.check('no follower failed other than for a session already gone', tallies.followerErrors === 0, tallies.followerErrorMessages.slice(0, 3));
    report.figure('strayProcessesAfterAnyWave', tallies.strayAfterWave);
    report.check('no process of a removed session outlived its wave', tallies.strayAfterWave === 0, tallies.strayAfterWave);

    await settle();
    const end = await retained();
    const final = counts(end.status);
    // The last status connection may still be closing on the daemon side.
    const fdsAfter = await waitFor(() => (fdCount(daemonPid) <= fdsBaseline ? fdCount(daemonPid) : undefined), 5_000, 'fds').catch(() => fdCount(daemonPid));
    report.figure('after', { ...final, procFds: fdsAfter, rssMiB: end.rss, heapMiB: mib(end.status.resources?.heapUsedBytes) });
    for (const key of ['streams', 'subscribers', 'outputListeners', 'exitWaiters', 'attachedClients']) {
      report.check(`${key} back to baseline (${baseline[key]})`, final[key] === baseline[key], { baseline: baseline[key], after: final[key] });
    }
    report.check('connections back to baseline', final.clients <= baseline.clients, { baseline: baseline.clients, after: final.clients });
    report.check(`open fds back to baseline (${fdsBaseline})`, fdsAfter <= fdsBaseline, { baseline: fdsBaseline, after: fdsAfter, kindsBefore: fdKindsBaseline, kindsAfter: fdKinds(daemonPid) });
    const growth = report.figure('rssGrowthPct', Math.round(((end.rss - base.rss) / base.rss) * 100));
    report.check(`RSS after GC within ${opts.rssTolerancePct} % of the post-warm-up baseline`, end.rss <= base.rss * (1 + opts.rssTolerancePct / 100), { baseline: base.rss, after: end.rss, growth });
    const strays = processesOfHome(home.dir, { sessionsOnly: true });
    report.check('no stray session process', strays.length === 0, strays);
    const cliLeft = processesOfHome(home.dir).filter((p) => p !== daemonPid);
    report.check('no ccx client process left', cliLeft.length === 0, cliLeft);
    report.check('every session record and log removed', home.sessionDirs().length === 0 && final.sessions === 0, { dirs: home.sessionDirs().length, sessions: final.sessions });
    const crashes = report.figure('crashes', (isAlive(daemonPid) && home.daemonPid() === daemonPid ? 0 : 1) + crashLines(home).length);
    report.check('no crash', crashes === 0, crashLines(home).slice(0, 3));
    for (const c of clients) c.destroy();
  } catch (error) {
    report.check('drill ran to the end', false, String(error?.stack ?? error));
  } finally {
    await home.cleanup();
  }
  return report.finish();
}
