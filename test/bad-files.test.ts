import test from 'ava';
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

test('a meta.json holding null, {}, [], wrong types or no JSON is set aside and listed as lost, and every later start works', async (t) => {
  const h = home();
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

  const list = await h.ccx(['list', '--all', '--json']);
  t.is(list.code, 0, list.stderr);
  const byId = new Map<string, any>(parseJson<any[]>(list).map((s) => [s.id, s]));
  for (const id of Object.keys(bad)) {
    t.is(byId.get(id)?.status, 'lost', id);
    t.regex(byId.get(id)?.error ?? '', /^unreadable record: .*set aside as meta\.json\.unreadable-\d+$/, id);
    const files = readdirSync(join(sessionsDir(h), id));
    t.true(files.some((f) => f.startsWith('meta.json.unreadable-')), `${id}: the bad file is kept under a quarantine name`);
    t.is(readFileSync(join(sessionsDir(h), id, files.find((f) => f.startsWith('meta.json.unreadable-'))!), 'utf8'), bad[id]!, `${id}: set aside unchanged`);
  }
  t.like(byId.get('bbbbbbb2'), { status: 'exited', name: 'good', command: ['true'] });
  const human = await h.ccx(['list', '--all']);
  t.is(human.code, 0, human.stderr);

  // The next daemon reads the records the first one saved for them: no new quarantine, same listing.
  t.is((await h.ccx(['daemon', 'restart'])).code, 0);
  const again = await h.ccx(['list', '--all', '--json']);
  t.is(again.code, 0, again.stderr);
  t.is(parseJson<any[]>(again).filter((s) => s.status === 'lost').length, Object.keys(bad).length);
  for (const id of Object.keys(bad)) t.is(readdirSync(join(sessionsDir(h), id)).filter((f) => f.startsWith('meta.json.unreadable-')).length, 1);
  // Lost sessions can be removed like any other.
  const rm = await h.ccx(['rm', ...Object.keys(bad)]);
  t.is(rm.code, 0, rm.stderr);
});

test('event lines with a seq that is not a number are skipped, and numbering goes on from the largest valid one', async (t) => {
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
  t.is(parseJson((await h.ccx(['daemon', 'status', '--json']))).events.lastSeq, 8);
});

test('disk full and kill -9: the next daemon starts, leaves no lock temp file, and lists the session acknowledged while full as lost (needs root: mounts a tmpfs)', async (t) => {
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
    const byId = new Map<string, any>(parseJson<any[]>(list).map((s) => [s.id, s]));
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
