import test from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsFromLog, FIXTURES, isAlive, makeHome, outputLogBytes, parseJson, pidsWithMarker, waitFor, waitForOutput, type Home, startSession } from './helpers/ccx.js';

const homes: Home[] = [];
const scratch: string[] = [];
const home = (): Home => {
  const h = makeHome();
  homes.push(h);
  return h;
};
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ccxf-'));
  scratch.push(d);
  return d;
};
test.after.always(async () => {
  await Promise.all(homes.map((h) => h.cleanup()));
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

const start = (h: Home, args: string[]) => startSession(h, args);

test('start returns a running session with an 8-character base32 id, a live pid', async (t) => {
  const h = home();
  const sh = await start(h, ['--name', 'sh', '--', 'bash', '--norc', '--noprofile']);
  t.is(sh.status, 'running');
  t.regex(sh.id, /^[a-z2-7]{8}$/);
  t.true(isAlive(sh.pid));
});

test('what is sent to a bash or a python3 -q session comes back in that session\'s output', async (t) => {
  const h = home();
  const sh = await start(h, ['--name', 'sh', '--', 'bash', '--norc', '--noprofile']);
  const py = await start(h, ['--name', 'py', '--', 'python3', '-q']);
  t.is((await h.ccx(['send', 'sh', 'echo sum=$((40+2))'])).code, 0);
  t.is((await h.ccx(['send', 'py', 'print(6*7, "py")'])).code, 0);
  await waitForOutput(h, sh.id, 'sum=42');
  await waitForOutput(h, py.id, '42 py');
  const list = parseJson<SessionInfo[]>(await h.ccx(['list', '--json']));
  t.deepEqual(list.map((s) => s.name).sort(), ['py', 'sh']);
});

/** Three starts that cannot start: a command not found, a file that is not executable, a working directory that does not exist. */
async function startsThatFail(h: Home) {
  const missing = await h.ccx(['start', '--name', 'nope', '--', 'no-such-command-ccx']);
  const notExec = await h.ccx(['start', '--json', '--', join(FIXTURES, '..', 'helpers', 'ccx.ts')]);
  const badCwd = await h.ccx(['start', '--cwd', '/no/such/dir', '--', 'bash']);
  return { missing, notExec, badCwd };
}

test('a command that cannot start fails start with E_SPAWN', async (t) => {
  const { missing, notExec, badCwd } = await startsThatFail(home());
  t.is(missing.code, 1);
  t.regex(missing.stderr, /command not found: no-such-command-ccx \[E_SPAWN\]/);
  t.regex(missing.stderr, /hint: /);
  t.is(notExec.code, 1);
  t.is(JSON.parse(notExec.stderr).error.code, 'E_SPAWN');
  t.is(badCwd.code, 1);
  t.regex(badCwd.stderr, /working directory does not exist/);
});

test('a command that cannot start is recorded as failed', async (t) => {
  const h = home();
  await startsThatFail(h);
  const all = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json']));
  t.is(all.length, 3);
  t.true(all.every((s) => s.status === 'failed' && s.error));
  t.deepEqual(parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])), [], 'failed sessions are not listed as running');
});

test('50 concurrent sends to one session arrive as 50 whole lines', async (t) => {
  const h = home();
  const out = join(tempDir(), 'lines.txt');
  const s = await start(h, ['--', 'python3', join(FIXTURES, 'line-recorder.py'), out]);
  await waitForOutput(h, s.id, 'READY');
  const lines = Array.from({ length: 50 }, (_, i) => `line-${String(i).padStart(2, '0')}-${'x'.repeat(60)}-end`);
  const results = await Promise.all(lines.map((line) => h.ccx(['send', s.id, line])));
  for (const r of results) t.is(r.code, 0, r.stderr);
  const received = await waitFor(() => {
    const text = readFileSync(out, 'utf8');
    const got = text.split('\n').filter(Boolean);
    return got.length >= 50 ? got : undefined;
  });
  t.is(received.length, 50);
  t.deepEqual([...received].sort(), [...lines].sort(), 'every line arrives whole, none interleaved');
});

test('input beyond what the PTY buffers while the program does not read arrives exactly as sent', async (t) => {
  // The first paste fills the PTY's input buffer: the daemon writes what the
  // kernel takes and queues the rest; its Enter and the second paste must
  // queue behind it, never overtake it.
  const h = home();
  const out = join(tempDir(), 'input.bin');
  const s = await start(h, ['--', 'sh', '-c', `stty raw -echo; echo READY; sleep 2; exec cat > '${out}'`]);
  await waitForOutput(h, s.id, 'READY');
  const first = Array.from({ length: 100_000 }, (_, i) => String(i % 10)).join('');
  const second = Array.from({ length: 50_000 }, (_, i) => 'abcdefghij'[i % 10]).join('');
  t.is((await h.ccx(['send', s.id, first])).code, 0);
  t.is((await h.ccx(['send', s.id, second])).code, 0);
  const expected = `${first}\r${second}\r`;
  const got = await waitFor(() => {
    const bytes = readFileSync(out, 'latin1');
    return bytes.length >= expected.length ? bytes : undefined;
  }, 30_000, 'the program to read all input');
  t.is(got.length, expected.length);
  t.true(got === expected, 'every byte once, in the order sent');
});

/** The paste recorder fixture (bracketed paste on unless `--no-bracketed-paste`), writing what it reads to `file`, once READY. */
async function pasteRecorder(h: Home, file: string, ...args: string[]) {
  const s = await start(h, ['--', 'python3', join(FIXTURES, 'paste-recorder.py'), file, ...args]);
  await waitForOutput(h, s.id, 'READY');
  return s;
}

/** What the recorder wrote to `file`, once it ends with Enter. */
const recordedLine = (file: string) => waitFor(() => {
  const b = readFileSync(file, 'latin1');
  return b.endsWith('\r') ? b : undefined;
});

test('bracketed paste is used exactly when the program enabled it, Enter written after the paste', async (t) => {
  const h = home();
  const dir = tempDir();
  const on = await pasteRecorder(h, join(dir, 'on.bin'));
  const off = await pasteRecorder(h, join(dir, 'off.bin'), '--no-bracketed-paste');
  const sentOn = parseJson(await h.ccx(['send', '--json', on.id, 'hello world']));
  const sentOff = parseJson(await h.ccx(['send', '--json', off.id, 'hello world']));
  t.true(sentOn.bracketedPaste);
  t.false(sentOff.bracketedPaste);
  t.is(await recordedLine(join(dir, 'on.bin')), '\x1b[200~hello world\x1b[201~\r');
  t.is(await recordedLine(join(dir, 'off.bin')), 'hello world\r');
});

test('send --key writes the bytes of each key named, after what was sent before', async (t) => {
  const h = home();
  const dir = tempDir();
  const off = await pasteRecorder(h, join(dir, 'off.bin'), '--no-bracketed-paste');
  await h.ccx(['send', '--json', off.id, 'hello world']);
  await recordedLine(join(dir, 'off.bin'));
  await h.ccx(['send', off.id, '--key', 'Up', '--key', 'C-c', '--key', '\\x1bOP']);
  await waitFor(() => readFileSync(join(dir, 'off.bin'), 'latin1').endsWith('\x1bOP'));
  t.is(readFileSync(join(dir, 'off.bin'), 'latin1'), 'hello world\r\x1b[A\x03\x1bOP');
});

test('send --key of an unknown key is a usage error', async (t) => {
  const h = home();
  const off = await pasteRecorder(h, join(tempDir(), 'off.bin'), '--no-bracketed-paste');
  const bad = await h.ccx(['send', off.id, '--key', 'Hyper-x']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown key/);
});

/** The stubborn-tree fixture (a process tree that ignores SIGINT and SIGTERM) as session stubborn, then cancelled with a 0.5 s grace. */
async function cancelledStubborn(h: Home) {
  const s = await start(h, ['--name', 'stubborn', '--', join(FIXTURES, 'stubborn-tree.sh')]);
  const text = await waitForOutput(h, s.id, /PIDS \d+ \d+ \d+/);
  const pids = /PIDS (\d+) (\d+) (\d+)/.exec(text)!.slice(1).map(Number);
  pids.forEach((p) => h.track(p));
  const aliveBefore = pids.every(isAlive);
  const r = await h.ccx(['cancel', 'stubborn', '--grace', '0.5', '--json']);
  return { s, pids, aliveBefore, r };
}

test('cancel escalates SIGINT → SIGTERM → SIGKILL, in its result as in the events', async (t) => {
  const h = home();
  const { s, r } = await cancelledStubborn(h);
  t.is(r.code, 0, r.stderr);
  const result = parseJson(r);
  t.deepEqual(result.steps, ['SIGINT', 'SIGTERM', 'SIGKILL']);
  t.is(result.session.status, 'cancelled');
  t.is(result.session.signal, 'SIGKILL');
  const events = eventsFromLog(h).filter((e) => e.sessionId === s.id && /cancel|process-exit/.test(e.type));
  t.deepEqual(
    events.map((e) => (e.type === 'cancel-escalated' ? `${e.type}:${e.signal}` : e.type)),
    ['cancel-initiated', 'cancel-escalated:SIGTERM', 'cancel-escalated:SIGKILL', 'process-exit'],
  );
  t.true(events.every((e, i) => i === 0 || e.seq > events[i - 1]!.seq));
});

test('cancel leaves no process of the session', async (t) => {
  const h = home();
  const { s, pids, aliveBefore } = await cancelledStubborn(h);
  t.true(aliveBefore);
  for (const pid of pids) t.false(isAlive(pid), `pid ${pid} survived`);
  t.deepEqual(pidsWithMarker(s.id), []);
});

test('a cancelled session keeps its output', async (t) => {
  const h = home();
  const { s } = await cancelledStubborn(h);
  // A cancelled session keeps its output and metadata.
  t.regex(outputLogBytes(h, s.id).toString(), /PIDS/);
});

test('cancelling a cancelled session again succeeds, saying it already ended', async (t) => {
  const h = home();
  await cancelledStubborn(h);
  // Cancelling it again succeeds and says it had already ended (issue 12).
  const again = await h.ccx(['cancel', 'stubborn']);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /already cancelled/);
});

test('cancel of a program that handles SIGINT needs no escalation', async (t) => {
  const h = home();
  const s = await start(h, ['--', 'python3', '-c', 'import time\ntry:\n  print("up", flush=True); time.sleep(600)\nexcept KeyboardInterrupt:\n  print("interrupted", flush=True)']);
  await waitForOutput(h, s.id, 'up');
  const r = parseJson(await h.ccx(['cancel', s.id, '--json']));
  t.deepEqual(r.steps, ['SIGINT']);
  t.is(r.session.status, 'cancelled');
  t.is(r.session.exitCode, 0);
  await waitForOutput(h, s.id, 'interrupted');
});

test('kill is immediate: SIGKILL only', async (t) => {
  const h = home();
  const k = await start(h, ['--', 'sleep', '600']);
  const killed = parseJson(await h.ccx(['kill', k.id, '--json']));
  t.deepEqual(killed.steps, ['SIGKILL']);
  t.false(isAlive(k.pid));
});

test('kill -9 of the daemon: next command starts a new one, sessions are lost, their processes reaped, logs intact', async (t) => {
  const h = home();
  const sessions = [];
  for (let i = 0; i < 4; i++) sessions.push(await start(h, ['--', join(FIXTURES, 'print-and-sleep.sh'), String(i)]));
  sessions.push(await start(h, ['--name', 'nohup', '--', join(FIXTURES, 'ignore-hup.sh')]));
  for (let i = 0; i < 4; i++) await waitForOutput(h, sessions[i]!.id, `MARK-${i}`);
  await waitForOutput(h, sessions[4]!.id, 'IGNORING-HUP');
  const before = new Map(sessions.map((s) => [s.id, pidsWithMarker(s.id)]));
  for (const pids of before.values()) t.true(pids.length >= 1);
  const oldDaemon = h.daemonPid()!;
  process.kill(oldDaemon, 'SIGKILL');
  await waitFor(() => !isAlive(oldDaemon), 5000, 'daemon death');
  const r = await h.ccx(['list', '--all', '--json']);
  t.is(r.code, 0, r.stderr);
  t.not(h.daemonPid(), oldDaemon);
  const listed = parseJson<SessionInfo[]>(r);
  t.is(listed.length, 5);
  t.true(listed.every((s) => s.status === 'lost'), JSON.stringify(listed.map((s) => s.status)));
  for (const [id, pids] of before) {
    for (const pid of pids) t.false(isAlive(pid), `pid ${pid} of ${id} survived the reaper`);
    t.deepEqual(pidsWithMarker(id), []);
  }
  for (let i = 0; i < 4; i++) t.regex(outputLogBytes(h, sessions[i]!.id).toString(), new RegExp(`MARK-${i}`));
  t.regex(outputLogBytes(h, sessions[4]!.id).toString(), /IGNORING-HUP/);
});

/** A session named alpha (sleep 600). */
const startAlpha = (h: Home) => start(h, ['--name', 'alpha', '--', 'sleep', '600']);

test('a session is found by its name or a prefix of its id', async (t) => {
  const h = home();
  const a = await startAlpha(h);
  const byName = parseJson(await h.ccx(['send', '--json', 'alpha', '--no-enter', 'x']));
  t.is(byName.session, a.id);
  const byPrefix = parseJson(await h.ccx(['send', '--json', a.id.slice(0, 3), '--no-enter', 'x']));
  t.is(byPrefix.session, a.id);
});

test('an unknown id is E_NOT_FOUND', async (t) => {
  const h = home();
  await startAlpha(h);
  const missing = await h.ccx(['send', 'zzzzzzzzzz', 'x']);
  t.is(missing.code, 3);
  t.regex(missing.stderr, /E_NOT_FOUND/);
});

test('a start with a name already taken is E_NAME_TAKEN', async (t) => {
  const h = home();
  await startAlpha(h);
  const taken = await h.ccx(['start', '--name', 'alpha', '--', 'sleep', '1']);
  t.is(taken.code, 1);
  t.regex(taken.stderr, /E_NAME_TAKEN/);
});

test('a name that is a path (../etc) is a usage error', async (t) => {
  const h = home();
  const badName = await h.ccx(['start', '--name', '../etc', '--', 'sleep', '1']);
  t.is(badName.code, 2);
});

test('an ambiguous id prefix is E_AMBIGUOUS, naming the candidates', async (t) => {
  const h = home();
  const a = await startAlpha(h);
  // Create sessions until two share a first character, then that prefix is ambiguous.
  const ids = new Set([a.id]);
  let shared: string | undefined;
  while (!shared) {
    const s = await start(h, ['--', 'true']);
    for (const id of ids) if (id[0] === s.id[0]) shared = s.id[0];
    ids.add(s.id);
  }
  const amb = await h.ccx(['list', '--json']).then(() => h.ccx(['send', '--json', shared, 'x']));
  t.is(amb.code, 1);
  const err = JSON.parse(amb.stderr).error;
  t.is(err.code, 'E_AMBIGUOUS');
  t.true(err.details.candidates.length >= 2);
});

/** A session short that exits 3, and its list --all --json entry once it has. */
async function endedShort(h: Home) {
  const s = await start(h, ['--name', 'short', '--', 'sh', '-c', 'echo done; exit 3']);
  const ended = await waitFor(async () => {
    const all = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json']));
    return all.find((x) => x.id === s.id && x.status === 'exited');
  });
  return { s, ended };
}

test('list --json has the documented, stable schema', async (t) => {
  const h = home();
  const { ended } = await endedShort(h);
  t.deepEqual(Object.keys(ended).sort(), [
    'activity', 'attachedClients', 'cols', 'command', 'createdAt', 'cwd', 'endedAt', 'error', 'exitCode', 'id',
    'lastActivityAt', 'leftoverPids', 'name', 'outputBytes', 'pid', 'preset', 'rows', 'signal', 'startedAt', 'status', 'waitingFor', 'windowSize',
  ]);
  t.is(ended.exitCode, 3);
  t.deepEqual(ended.command, ['sh', '-c', 'echo done; exit 3']);
});

test('rm of a running session is refused without --force', async (t) => {
  const h = home();
  const running = await start(h, ['--', 'sleep', '600']);
  const refused = await h.ccx(['rm', running.id]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /--force/);
});

test('rm forgets an ended session', async (t) => {
  const h = home();
  const { s } = await endedShort(h);
  t.deepEqual(parseJson(await h.ccx(['rm', '--json', 'short'])).removed, [s.id]);
  t.false(parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).some((x) => x.id === s.id));
});

test('prune forgets ended sessions, only those older than --older-than when given', async (t) => {
  const h = home();
  const running = await start(h, ['--', 'sleep', '600']);
  await h.ccx(['kill', running.id]);
  t.deepEqual(parseJson(await h.ccx(['prune', '--older-than', '1h', '--json'])).removed, []);
  t.deepEqual(parseJson(await h.ccx(['prune', '--json'])).removed, [running.id]);
});
