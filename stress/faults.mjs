// Drill 3a — kill -9: the daemon is SIGKILLed at a random point of a wave
// (sessions starting, lines being sent, cancels and removals in flight,
// followers attached), `kills` times. Each time the next `ccx` command must
// bring a daemon back within `recoverMs`, every session it had confirmed must
// still be listed with its output log holding every byte seen before the
// kill and a readable meta.json, nothing confirmed removed may come back, no
// process of any session may survive, and every follower must end by itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, crashLines, FIXTURES, isAlive, makeHome, metaOnDisk, outputLogBytes, processesOfHome, sleep, startFollower, waitFor } from '../packages/testkit/dist/index.js';
import { pool, Report, rng } from './lib/report.mjs';

export const FAULTS_DEFAULTS = { kills: 5, wave: 40, followers: 8, recoverMs: 2_000, seed: 21 };
// The smoke run asserts recovery, not its speed (no recoverMs): the test suite
// runs on loaded machines, where a daemon's cold start alone once took over 10 s.
export const FAULTS_SMOKE = { kills: 2, wave: 10, followers: 3, seed: 21 };

/** Programs that outlive their terminal are the ones the reaper must find after a kill -9. */
const PROGRAMS = [
  { weight: 5, command: ['cat'] },
  { weight: 2, command: ['bash', '--norc', '--noprofile'] },
  { weight: 2, command: ['bash', `${FIXTURES}/ignore-hup.sh`] },
  { weight: 1, command: ['bash', `${FIXTURES}/stubborn-tree.sh`] },
];

function pickProgram(r) {
  let x = r.next() * PROGRAMS.reduce((s, p) => s + p.weight, 0);
  for (const p of PROGRAMS) if ((x -= p.weight) <= 0) return p;
  return PROGRAMS[0];
}

export async function faultsDrill(options = {}) {
  const opts = { ...FAULTS_DEFAULTS, ...options };
  const report = new Report('faults: kill -9');
  const home = makeHome('ccxq-');
  const r = rng(opts.seed);
  const recoveries = [];
  const problems = { lostOutput: [], corruptMeta: [], missing: [], resurrected: [], survivors: [], hungFollowers: 0, orphanDirs: 0, notLost: [] };
  const known = new Map(); // id -> { prefix: Buffer, removed: boolean }
  let followersEnded = 0;
  let followersStarted = 0;
  try {
    await home.startDaemon();
    for (let round = 0; round < opts.kills; round++) {
      const pid = home.daemonPid();
      const client = await Client.connect(home.socketPath);
      const sessions = [];
      await pool(Array.from({ length: opts.wave }), 8, async () => {
        const info = await client.request('session.start', { command: pickProgram(r).command, cols: 80, rows: 24 });
        sessions.push(info);
        known.set(info.id, { prefix: Buffer.alloc(0), removed: false });
      });
      // Followers of the wave: they must notice the daemon is gone and end by themselves.
      const followerProcs = [];
      for (let i = 0; i < opts.followers; i++) {
        const kind = r.pick(['cli-logs', 'cli-attach', 'raw-logs', 'raw-attach', 'raw-events']);
        const f = await startFollower(home, kind, r.pick(sessions).id, r, { handshakeRetries: 0 });
        followerProcs.push(f.ended);
        followersStarted++;
      }
      // Confirmed lines: sent and seen on disk before the kill.
      await pool(sessions, 8, async (s) => {
        await client.request('session.send', { target: s.id, text: `confirmed-${s.id}`, enter: true, enterDelayMs: 10 }).catch(() => {});
      });
      await pool(sessions, 8, (s) => waitFor(() => outputLogBytes(home, s.id).includes(`confirmed-${s.id}`), 10_000, 'confirmed line').catch(() => {}));

      // Operations in flight when the kill comes: more lines, cancels, removals, new sessions.
      const inflight = [];
      const removedConfirmed = new Set();
      for (const s of sessions) {
        const roll = r.next();
        if (roll < 0.5) inflight.push(client.request('session.send', { target: s.id, text: `inflight-${s.id}-${'x'.repeat(r.int(1, 2000))}`, enter: true }).catch(() => {}));
        else if (roll < 0.7) inflight.push(client.request('session.cancel', { target: s.id, graceMs: r.int(0, 500) }).catch(() => {}));
        else if (roll < 0.8) {
          inflight.push(
            client.request('session.rm', { targets: [s.id], force: true }).then(
              () => removedConfirmed.add(s.id),
              () => {},
            ),
          );
        }
      }
      for (let i = 0; i < 5; i++) {
        inflight.push(
          client.request('session.start', { command: ['cat'], cols: 80, rows: 24 }).then(
            (info) => known.set(info.id, { prefix: Buffer.alloc(0), removed: false }),
            () => {},
          ),
        );
      }
      await sleep(r.int(0, 1_200));
      // What is known on disk right before the kill: output prefixes of every session still there.
      for (const [id, k] of known) {
        if (removedConfirmed.has(id)) k.removed = true;
        if (!k.removed) k.prefix = outputLogBytes(home, id);
      }
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), 5_000, 'daemon to die');
      client.destroy();
      await Promise.allSettled(inflight);

      // The next command brings a daemon back.
      const next = await home.ccx(['list', '--all', '--json'], { timeoutMs: 30_000 });
      recoveries.push(Math.round(next.ms));
      if (next.code !== 0) {
        problems.missing.push(`round ${round}: ccx list failed: ${next.stderr.trim()}`);
        continue;
      }
      const newPid = home.daemonPid();
      report.check(`round ${round + 1}: a new daemon answers (pid ${pid} → ${newPid})`, newPid && newPid !== pid && isAlive(newPid));
      const listed = new Map(JSON.parse(next.stdout).map((s) => [s.id, s]));

      // No process of any session survives the kill: the new daemon reaped them before serving.
      const survivors = processesOfHome(home.dir, { sessionsOnly: true });
      problems.survivors.push(...survivors);

      for (const [id, k] of known) {
        if (k.removed) {
          if (listed.has(id)) problems.resurrected.push(id);
          continue;
        }
        const s = listed.get(id);
        if (!s) {
          problems.missing.push(id);
          continue;
        }
        if (s.status === 'running') problems.notLost.push(id);
        const meta = metaOnDisk(home, id);
        if (!meta || meta.id !== id) problems.corruptMeta.push(id);
        const now = outputLogBytes(home, id);
        if (!now.subarray(0, k.prefix.length).equals(k.prefix)) problems.lostOutput.push(id);
      }
      const dirs = home.sessionDirs();
      problems.orphanDirs += dirs.filter((d) => !metaOnDisk(home, d)).length;

      // Followers of the dead daemon end by themselves.
      const ended = await Promise.race([Promise.allSettled(followerProcs).then(() => true), sleep(10_000).then(() => false)]);
      if (!ended) problems.hungFollowers++;
      else followersEnded += followerProcs.length;
    }
    report.figure('kills', recoveries.length);
    report.figure('recoveryMs', recoveries.join(' '));
    report.figure('recoveryMsMax', Math.max(...recoveries));
    report.figure('sessionsTracked', known.size);
    report.figure('followersEnded', `${followersEnded}/${followersStarted}`);
    report.check('a new daemon took over after every kill', recoveries.length === opts.kills, recoveries);
    if (opts.recoverMs !== undefined) report.check(`every recovery within ${opts.recoverMs} ms`, recoveries.every((ms) => ms <= opts.recoverMs), recoveries);
    report.check('no process of any session survived a kill', problems.survivors.length === 0, problems.survivors.slice(0, 10));
    report.check('every confirmed session is still listed', problems.missing.length === 0, problems.missing.slice(0, 5));
    report.check('no confirmed removal came back', problems.resurrected.length === 0, problems.resurrected);
    report.check('no output lost: each log still starts with every byte on disk before the kill', problems.lostOutput.length === 0, problems.lostOutput);
    report.check('every meta.json readable and consistent', problems.corruptMeta.length === 0, problems.corruptMeta);
    report.check('every session of a killed daemon ended as lost, cancelled or exited', problems.notLost.length === 0, problems.notLost);
    report.figure('orphanSessionDirs', problems.orphanDirs);
    report.check('no session directory left without its meta.json', problems.orphanDirs === 0, problems.orphanDirs);
    report.check('every follower of a killed daemon ended by itself within 10 s', problems.hungFollowers === 0, problems.hungFollowers);
    // The events log across all the kills: seqs strictly increasing, at most a torn last line per kill.
    const lines = ['events.log.1', 'events.log'].flatMap((f) => {
      try {
        return readFileSync(join(home.stateDir, f), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    });
    const seqs = [];
    let torn = 0;
    for (const line of lines) {
      try {
        seqs.push(JSON.parse(line).seq);
      } catch {
        torn++;
      }
    }
    report.figure('eventsLogged', `${seqs.length} (torn lines: ${torn})`);
    report.check('event seqs strictly increase across every restart', seqs.every((q, i) => i === 0 || q > seqs[i - 1]));
    report.check('at most one torn events-log line per kill', torn <= opts.kills, torn);
    const crashes = report.figure('crashLines', crashLines(home).length);
    report.check('no uncaught error logged by any daemon', crashes === 0, crashLines(home).slice(0, 3));
  } catch (error) {
    report.check('drill ran to the end', false, String(error?.stack ?? error));
  } finally {
    await home.cleanup();
  }
  return report.finish();
}
