// Drill 3b — disk full: the state directory sits on a small tmpfs (or, where
// mounting is not possible, the daemon gets a file-size limit through
// prlimit). A session floods output until writes fail. The daemon must keep
// serving, report the failure through events (once, not once per chunk), and
// once space returns take output and metadata again with every file whole:
// no torn lines, no temp files left, offsets that match the bytes on disk.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, crashLines, isAlive, makeHome, metaOnDisk, outputLogBytes, sleep, waitFor } from '../packages/testkit/dist/index.js';
import { Report } from './lib/report.mjs';

export const DISK_DEFAULTS = { sizeKiB: 2_048, fullSeconds: 4, mode: 'auto' };
export const DISK_SMOKE = { sizeKiB: 1_024, fullSeconds: 2, mode: 'auto' };

const FLOOD = ['bash', '--norc', '--noprofile', '-c', 'i=0; while :; do printf "%0200d\\n" $i; i=$((i+1)); done'];

/** Every file under `dir`, recursively. */
function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Lines of a JSON-lines file that do not parse (torn by a failed write). */
function tornLines(file) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => {
    if (!line) return false;
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  });
}

function freeKiB(dir) {
  const r = spawnSync('df', ['-k', '--output=avail', dir], { encoding: 'utf8' });
  return Number(r.stdout.trim().split('\n').pop());
}

export async function diskFullDrill(options = {}) {
  const opts = { ...DISK_DEFAULTS, ...options };
  const report = new Report('faults: disk full');
  const home = makeHome('ccxd-');
  try {
    const mode = opts.mode !== 'fsize' && home.mountTmpfs(home.stateDir, `${opts.sizeKiB}k`) ? 'tmpfs' : 'fsize';
    report.figure('mode', mode === 'tmpfs' ? `tmpfs of ${opts.sizeKiB} KiB on the state dir` : `file-size limit of ${opts.sizeKiB} KiB (prlimit)`);
    const daemonPid = await home.startDaemon();
    if (mode === 'fsize') {
      const r = spawnSync('prlimit', ['--pid', String(daemonPid), `--fsize=${opts.sizeKiB * 1024}:unlimited`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`neither a tmpfs mount nor prlimit works here: ${r.stderr}`);
    }
    const events = [];
    const watcher = await Client.connect(home.socketPath);
    watcher.stream('events.stream', { follow: true }, (e) => events.push(e));
    const errorsOf = () => events.filter((e) => e.type === 'session-error');

    const keep = JSON.parse((await home.ccx(['start', '--json', '--name', 'dk-keep', '--', 'cat'])).stdout);
    await home.ccx(['send', 'dk-keep', 'before-full']);
    await waitFor(() => outputLogBytes(home, keep.id).includes('before-full'), 10_000, 'first line');

    const t0 = Date.now();
    const flood = JSON.parse((await home.ccx(['start', '--json', '--name', 'dk-flood', '--', ...FLOOD])).stdout);
    await waitFor(() => errorsOf().some((e) => /ENOSPC|EFBIG/.test(e.message)), 30_000, 'the write failure to be reported');
    report.figure('secondsToFill', Math.round((Date.now() - t0) / 100) / 10);
    if (mode === 'tmpfs') report.figure('freeKiBWhileFull', freeKiB(home.stateDir));
    report.figure('firstError', errorsOf()[0]?.message);

    // While full: the daemon serves, takes input and starts programs.
    const list = await home.ccx(['list', '--json']);
    report.check('`ccx list` works while the disk is full', list.code === 0, list.stderr);
    const send = await home.ccx(['send', 'dk-keep', 'while-full']);
    report.check('`ccx send` works while the disk is full', send.code === 0, send.stderr);
    const started = await home.ccx(['start', '--json', '--name', 'dk-born-full', '--', 'cat']);
    report.check('`ccx start` works while the disk is full', started.code === 0, started.stderr);
    const bornFull = started.code === 0 ? JSON.parse(started.stdout) : undefined;
    await sleep(opts.fullSeconds * 1000);
    const errorsWhileFull = report.figure('sessionErrorEventsWhileFull', errorsOf().length);
    report.check('the failure is reported, once per session and kind, not once per chunk (≤ 6 events)', errorsWhileFull >= 1 && errorsWhileFull <= 6, errorsOf().map((e) => e.message));
    report.check('the daemon is the same process', isAlive(daemonPid) && home.daemonPid() === daemonPid);

    // Space returns: the flood ends and the disk grows (or the limit goes).
    await home.ccx(['kill', 'dk-flood']);
    const returned = Date.now();
    if (mode === 'tmpfs') spawnSync('mount', ['-o', `remount,size=${opts.sizeKiB * 8}k`, home.stateDir]);
    else spawnSync('prlimit', ['--pid', String(daemonPid), '--fsize=unlimited:unlimited']);
    await home.ccx(['send', 'dk-keep', 'after-space']);
    const back = await waitFor(() => outputLogBytes(home, keep.id).includes('after-space'), 10_000, 'output after space returned').catch(() => false);
    report.figure('msUntilOutputLoggedAgain', Math.round(Date.now() - returned));
    report.check('output reaches the log again once space returns', back);

    // Whole files: offsets match the bytes on disk, nothing torn, no temp files.
    const keepInfo = JSON.parse((await home.ccx(['list', '--json'])).stdout).find((s) => s.id === keep.id);
    const disk = outputLogBytes(home, keep.id);
    const viaLogs = await home.ccx(['logs', keep.id, '--raw']);
    report.check("a session's output size matches its log on disk", keepInfo?.outputBytes === disk.length, { reported: keepInfo?.outputBytes, disk: disk.length });
    report.check('`ccx logs` returns exactly the bytes on disk', Buffer.from(viaLogs.stdout, 'utf8').equals(disk), { logs: viaLogs.stdout.length, disk: disk.length });
    const dropped = errorsOf().find((e) => /writable again/.test(e.message));
    report.figure('droppedBytesReported', dropped?.droppedBytes ?? 0);
    if (bornFull) {
      const meta = await waitFor(() => metaOnDisk(home, bornFull.id), 10_000, 'metadata of the session born while full').catch(() => undefined);
      report.check('metadata that could not be saved while full is saved once space returns', meta?.id === bornFull.id);
    }
    await sleep(500);
    const temps = filesUnder(home.stateDir).filter((f) => f.endsWith('.tmp'));
    report.check('no temp file left behind', temps.length === 0, temps);
    const tornEvents = tornLines(join(home.stateDir, 'events.log'));
    const tornLog = tornLines(join(home.stateDir, 'daemon.log'));
    report.figure('tornLines', { eventsLog: tornEvents.length, daemonLog: tornLog.length });
    report.check('no torn line in the events log', tornEvents.length === 0, tornEvents.slice(0, 2));
    report.check('no torn line in the daemon log', tornLog.length === 0, tornLog.slice(0, 2));
    const cancel = await home.ccx(['cancel', 'dk-keep', '--grace', '0.5', '--json']);
    report.check('metadata writes work again (cancel recorded on disk)', cancel.code === 0 && metaOnDisk(home, keep.id)?.status === 'cancelled', metaOnDisk(home, keep.id)?.status);
    const persisted = readFileSync(join(home.stateDir, 'events.log'), 'utf8');
    report.check('events are persisted again', persisted.includes(`"sessionId":"${keep.id}"`) && /"type":"process-exit"/.test(persisted.split('\n').slice(-10).join('\n')));

    // And it all survives a kill -9: what is on disk is what a new daemon finds.
    process.kill(daemonPid, 'SIGKILL');
    await waitFor(() => !isAlive(daemonPid), 5_000, 'daemon to die');
    const after = await home.ccx(['list', '--all', '--json']);
    const ids = after.code === 0 ? JSON.parse(after.stdout).map((s) => s.id) : [];
    const expected = [keep.id, flood.id, bornFull?.id].filter(Boolean);
    report.check('after a kill -9, a new daemon lists every session, including the one born while full', expected.every((id) => ids.includes(id)), { expected, ids });
    const crashes = report.figure('crashLines', crashLines(home).length);
    report.check('no uncaught error logged', crashes === 0, crashLines(home).slice(0, 3));
    watcher.destroy();
  } catch (error) {
    report.check('drill ran to the end', false, String(error?.stack ?? error));
  } finally {
    await home.cleanup();
  }
  return report.finish();
}
