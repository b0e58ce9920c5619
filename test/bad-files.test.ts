import type { SessionInfo } from '@ccx/shared';
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { homesFor, isAlive, parseJson, sleep, waitFor, type Home } from './helpers/ccx.js';

/**
 * Issue 11 point 10: faults and bad files never stop the next daemon. Bad
 * records are set aside and listed as lost; bad event lines are skipped; a
 * full disk and a kill -9 leave a home the next daemon starts in.
 */
const home = homesFor(test);

function sessionsDir(h: Home): string {
  return join(h.dir, 'state', 'sessions');
}

/** A whole record as the daemon writes it, for a session that exited. */
function goodRecord(id: string): Record<string, unknown> {
  const at = new Date(0).toISOString();
  return {
    id,
    name: 'good',
    status: 'exited',
    command: ['true'],
    cwd: '/',
    cols: 80,
    rows: 24,
    createdAt: at,
    startedAt: at,
    endedAt: at,
    lastActivityAt: null,
    exitCode: 0,
    signal: null,
    error: null,
    pid: null,
    processStartTime: null,
    preset: null,
    enterDelayMs: 150,
  };
}

function plantRecord(h: Home, id: string, text: string): void {
  mkdirSync(join(sessionsDir(h), id), { recursive: true, mode: 0o700 });
  writeFileSync(join(sessionsDir(h), id, 'meta.json'), text, { mode: 0o600 });
}

/** Plants six unreadable meta.json files and one good record (bbbbbbb2); the unreadable ones by id. */
function plantBadRecords(h: Home): Record<string, string> {
  const bad: Record<string, string> = {
    aaaaaaa2: 'null',
    aaaaaaa3: '{}',
    aaaaaaa4: '[]',
    aaaaaaa5: JSON.stringify({ ...goodRecord('aaaaaaa5'), command: null }),
    aaaaaaa6: JSON.stringify({ ...goodRecord('aaaaaaa6'), cols: 'wide', pid: -1 }),
    aaaaaaa7: '{"id": "aaaaaaa7", "status": "runn',
  };
  for (const [id, text] of Object.entries(bad)) plantRecord(h, id, text);
  plantRecord(h, 'bbbbbbb2', JSON.stringify(goodRecord('bbbbbbb2')));
  return bad;
}

/** Plants the records, then lists every session as JSON (the daemon reading them for the first time). */
async function listOverBadRecords(t: ExecutionContext) {
  const h = home();
  const bad = plantBadRecords(h);
  const list = await h.ccx(['list', '--all', '--json']);
  t.is(list.code, 0, list.stderr);
  const byId = new Map<string, SessionInfo>(parseJson<SessionInfo[]>(list).map((s) => [s.id, s]));
  return { h, bad, byId };
}

test('a meta.json holding null, {}, [], wrong types or no JSON is set aside unchanged', async (t) => {
  const { h, bad } = await listOverBadRecords(t);
  for (const id of Object.keys(bad)) {
    const files = readdirSync(join(sessionsDir(h), id));
    t.true(files.some((f) => f.startsWith('meta.json.unreadable-')), `${id}: the bad file is kept under a quarantine name`);
    t.is(readFileSync(join(sessionsDir(h), id, files.find((f) => f.startsWith('meta.json.unreadable-'))!), 'utf8'), bad[id]!, `${id}: set aside unchanged`);
  }
});

test('a session whose meta.json holds null, {}, [], wrong types or no JSON is listed as lost', async (t) => {
  const { bad, byId } = await listOverBadRecords(t);
  for (const id of Object.keys(bad)) {
    t.is(byId.get(id)?.status, 'lost', id);
    t.regex(byId.get(id)?.error ?? '', /^unreadable record: .*set aside as meta\.json\.unreadable-\d+$/, id);
  }
});

test('a good record beside unreadable ones is listed as saved, in JSON or as text', async (t) => {
  const { h, byId } = await listOverBadRecords(t);
  t.like(byId.get('bbbbbbb2'), { status: 'exited', name: 'good', command: ['true'] });
  const human = await h.ccx(['list', '--all']);
  t.is(human.code, 0, human.stderr);
});

test('after unreadable records were set aside, the next daemon start lists the same, quarantining nothing new', async (t) => {
  const { h, bad } = await listOverBadRecords(t);
  // The next daemon reads the records the first one saved for them: no new quarantine, same listing.
  t.is((await h.ccx(['daemon', 'restart'])).code, 0);
  const again = await h.ccx(['list', '--all', '--json']);
  t.is(again.code, 0, again.stderr);
  t.is(parseJson<SessionInfo[]>(again).filter((s) => s.status === 'lost').length, Object.keys(bad).length);
  for (const id of Object.keys(bad)) t.is(readdirSync(join(sessionsDir(h), id)).filter((f) => f.startsWith('meta.json.unreadable-')).length, 1);
});

test('a session lost to an unreadable record can be removed like any other', async (t) => {
  const { h, bad } = await listOverBadRecords(t);
  // Lost sessions can be removed like any other.
  const rm = await h.ccx(['rm', ...Object.keys(bad)]);
  t.is(rm.code, 0, rm.stderr);
});

/** A home whose events log holds valid seqs 3 and 7 between lines whose seq is not a number. */
function homeWithBadSeqs(): Home {
  const h = home();
  mkdirSync(join(h.dir, 'state'), { recursive: true, mode: 0o700 });
  const time = new Date(0).toISOString();
  const lines = [
    { seq: 3, type: 'session-removed', time, sessionId: 'zzzzzzz2' },
    { seq: 'abc', type: 'session-removed', time, sessionId: 'zzzzzzz3' },
    { seq: 7, type: 'session-removed', time, sessionId: 'zzzzzzz4' },
    { seq: null, type: 'session-removed', time, sessionId: 'zzzzzzz5' },
    { seq: '99', type: 'session-removed', time, sessionId: 'zzzzzzz6' },
    { seq: 1e300, type: 'session-removed', time, sessionId: 'zzzzzzz7' },
  ];
  writeFileSync(join(h.dir, 'state', 'events.log'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n', { mode: 0o600 });
  return h;
}

test('event lines with a seq that is not a number are skipped', async (t) => {
  const h = homeWithBadSeqs();
  const r = await h.ccx(['events', '--json']);
  t.is(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.deepEqual(
    events.map((e) => [e.seq, e.type]),
    [
      [3, 'session-removed'],
      [7, 'session-removed'],
      [8, 'daemon-started'],
    ],
  );
  const human = await h.ccx(['events']);
  t.is(human.code, 0, human.stderr);
});

test('event numbering goes on from the largest valid seq', async (t) => {
  const h = homeWithBadSeqs();
  await h.ccx(['events', '--json']);
  t.is(parseJson((await h.ccx(['daemon', 'status', '--json']))).events.lastSeq, 8);
});

test('kill -9 on a full disk: the next daemon starts cleanly (no lock temp file left), listing the session acknowledged while full as lost (needs root: mounts a tmpfs)', async (t) => {
  const h = home();
  const state = join(h.dir, 'state');
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', state], { encoding: 'utf8' });
  t.is(mount.status, 0, `mounting a tmpfs needs root (CI runs as root): ${mount.stderr}`);
  const pids: number[] = [];
  try {
    t.is((await h.ccx(['daemon', 'start'])).code, 0);
    const first = h.daemonPid()!;
    pids.push(first);
    const keep = parseJson((await h.ccx(['start', '--json', '--name', 'keep', '--', 'cat'])));
    pids.push(keep.pid);
    // Fill the file system.
    const filler = openSync(join(state, 'filler'), 'w');
    try {
      const block = Buffer.alloc(64 * 1024, 0x61);
      for (;;) writeSync(filler, block);
    } catch (error) {
      t.is((error as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      closeSync(filler);
    }
    const born = await h.ccx(['start', '--json', '--name', 'born-full', '--', 'cat']);
    t.is(born.code, 0, `a start while the disk is full is acknowledged: ${born.stderr}`);
    const bornFull = parseJson(born);
    pids.push(bornFull.pid);
    t.false(existsSync(join(sessionsDir(h), bornFull.id, 'meta.json')), 'its metadata could not be saved');

    process.kill(first, 'SIGKILL');
    await waitFor(() => !isAlive(first), 10_000, 'the daemon to die');
    // The disk is still full.
    const list = await h.ccx(['list', '--all', '--json']);
    t.is(list.code, 0, `the next daemon starts on a full disk: ${list.stderr}`);
    const status = parseJson(await h.ccx(['daemon', 'status', '--json']));
    pids.push(status.pid);
    t.not(status.pid, first);
    const byId = new Map<string, SessionInfo>(parseJson<SessionInfo[]>(list).map((s) => [s.id, s]));
    t.is(byId.get(keep.id)?.status, 'lost');
    t.is(byId.get(bornFull.id)?.status, 'lost', 'the session acknowledged while full is not deleted');
    t.regex(byId.get(bornFull.id)?.error ?? '', /never saved.*acknowledged/);
    t.deepEqual(readdirSync(state).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
    // Its processes were reaped by the new daemon.
    await waitFor(() => !isAlive(keep.pid) && !isAlive(bornFull.pid), 10_000, 'the lost sessions’ programs to be ended');
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(200);
    let u = spawnSync('umount', [state]);
    if (u.status !== 0) u = spawnSync('umount', ['-l', state]);
  }
});
