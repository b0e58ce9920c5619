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

test('start bash and python3 -q; send to both; the answers appear in their output', async (t) => {
  const h = home();
  const sh = await start(h, ['--name', 'sh', '--', 'bash', '--norc', '--noprofile']);
  t.is(sh.status, 'running');
  t.regex(sh.id, /^[a-z2-7]{8}$/);
  t.true(isAlive(sh.pid));
  const py = await start(h, ['--name', 'py', '--', 'python3', '-q']);
  t.is((await h.ccx(['send', 'sh', 'echo sum=$((40+2))'])).code, 0);
  t.is((await h.ccx(['send', 'py', 'print(6*7, "py")'])).code, 0);
  await waitForOutput(h, sh.id, 'sum=42');
  await waitForOutput(h, py.id, '42 py');
  const list = parseJson<SessionInfo[]>(await h.ccx(['list', '--json']));
  t.deepEqual(list.map((s) => s.name).sort(), ['py', 'sh']);
});

test('a command that cannot start fails start with E_SPAWN and is recorded as failed', async (t) => {
  const h = home();
  const missing = await h.ccx(['start', '--name', 'nope', '--', 'no-such-command-ccx']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /command not found: no-such-command-ccx \[E_SPAWN\]/);
  t.regex(missing.stderr, /hint: /);
  const notExec = await h.ccx(['start', '--json', '--', join(FIXTURES, '..', 'helpers', 'ccx.ts')]);
  t.is(notExec.code, 1);
  t.is(JSON.parse(notExec.stderr).error.code, 'E_SPAWN');
  const badCwd = await h.ccx(['start', '--cwd', '/no/such/dir', '--', 'bash']);
  t.is(badCwd.code, 1);
  t.regex(badCwd.stderr, /working directory does not exist/);
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

test('input beyond what the PTY buffers while the program does not read arrives whole and in order', async (t) => {
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

test('bracketed paste is used exactly when the program enabled it; Enter is a separate write', async (t) => {
  const h = home();
  const dir = tempDir();
  const on = await start(h, ['--', 'python3', join(FIXTURES, 'paste-recorder.py'), join(dir, 'on.bin')]);
  const off = await start(h, ['--', 'python3', join(FIXTURES, 'paste-recorder.py'), join(dir, 'off.bin'), '--no-bracketed-paste']);
  await waitForOutput(h, on.id, 'READY');
  await waitForOutput(h, off.id, 'READY');
  const sentOn = parseJson(await h.ccx(['send', '--json', on.id, 'hello world']));
  const sentOff = parseJson(await h.ccx(['send', '--json', off.id, 'hello world']));
  t.true(sentOn.bracketedPaste);
  t.false(sentOff.bracketedPaste);
  const read = (f: string) => waitFor(() => {
    const b = readFileSync(join(dir, f), 'latin1');
    return b.endsWith('\r') ? b : undefined;
  });
  t.is(await read('on.bin'), '\x1b[200~hello world\x1b[201~\r');
  t.is(await read('off.bin'), 'hello world\r');
  await h.ccx(['send', off.id, '--key', 'Up', '--key', 'C-c', '--key', '\\x1bOP']);
  await waitFor(() => readFileSync(join(dir, 'off.bin'), 'latin1').endsWith('\x1bOP'));
  t.is(readFileSync(join(dir, 'off.bin'), 'latin1'), 'hello world\r\x1b[A\x03\x1bOP');
  const bad = await h.ccx(['send', off.id, '--key', 'Hyper-x']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown key/);
});

test('cancel escalates SIGINT → SIGTERM → SIGKILL and leaves no process of the session', async (t) => {
  const h = home();
  const s = await start(h, ['--name', 'stubborn', '--', join(FIXTURES, 'stubborn-tree.sh')]);
  const text = await waitForOutput(h, s.id, /PIDS \d+ \d+ \d+/);
  const pids = /PIDS (\d+) (\d+) (\d+)/.exec(text)!.slice(1).map(Number);
  pids.forEach((p) => h.track(p));
  t.true(pids.every(isAlive));
  const r = await h.ccx(['cancel', 'stubborn', '--grace', '0.5', '--json']);
  t.is(r.code, 0, r.stderr);
  const result = parseJson(r);
  t.deepEqual(result.steps, ['SIGINT', 'SIGTERM', 'SIGKILL']);
  t.is(result.session.status, 'cancelled');
  t.is(result.session.signal, 'SIGKILL');
  for (const pid of pids) t.false(isAlive(pid), `pid ${pid} survived`);
  t.deepEqual(pidsWithMarker(s.id), []);
  const events = eventsFromLog(h).filter((e) => e.sessionId === s.id && /cancel|process-exit/.test(e.type));
  t.deepEqual(
    events.map((e) => (e.type === 'cancel-escalated' ? `${e.type}:${e.signal}` : e.type)),
    ['cancel-initiated', 'cancel-escalated:SIGTERM', 'cancel-escalated:SIGKILL', 'process-exit'],
  );
  t.true(events.every((e, i) => i === 0 || e.seq > events[i - 1]!.seq));
  // A cancelled session keeps its output and metadata.
  t.regex(outputLogBytes(h, s.id).toString(), /PIDS/);
  // Cancelling it again succeeds and says it had already ended (issue 12).
  const again = await h.ccx(['cancel', 'stubborn']);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /already cancelled/);
});

test('cancel of a program that handles SIGINT needs no escalation; kill is immediate', async (t) => {
  const h = home();
  const s = await start(h, ['--', 'python3', '-c', 'import time\ntry:\n  print("up", flush=True); time.sleep(600)\nexcept KeyboardInterrupt:\n  print("interrupted", flush=True)']);
  await waitForOutput(h, s.id, 'up');
  const r = parseJson(await h.ccx(['cancel', s.id, '--json']));
  t.deepEqual(r.steps, ['SIGINT']);
  t.is(r.session.status, 'cancelled');
  t.is(r.session.exitCode, 0);
  await waitForOutput(h, s.id, 'interrupted');
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

test('ids, prefixes and names resolve; ambiguity and unknown ids are clear errors', async (t) => {
  const h = home();
  const a = await start(h, ['--name', 'alpha', '--', 'sleep', '600']);
  const byName = parseJson(await h.ccx(['send', '--json', 'alpha', '--no-enter', 'x']));
  t.is(byName.session, a.id);
  const byPrefix = parseJson(await h.ccx(['send', '--json', a.id.slice(0, 3), '--no-enter', 'x']));
  t.is(byPrefix.session, a.id);
  const missing = await h.ccx(['send', 'zzzzzzzzzz', 'x']);
  t.is(missing.code, 3);
  t.regex(missing.stderr, /E_NOT_FOUND/);
  const taken = await h.ccx(['start', '--name', 'alpha', '--', 'sleep', '1']);
  t.is(taken.code, 1);
  t.regex(taken.stderr, /E_NAME_TAKEN/);
  const badName = await h.ccx(['start', '--name', '../etc', '--', 'sleep', '1']);
  t.is(badName.code, 2);
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

test('list --json has the documented, stable schema; rm and prune forget ended sessions', async (t) => {
  const h = home();
  const s = await start(h, ['--name', 'short', '--', 'sh', '-c', 'echo done; exit 3']);
  const ended = await waitFor(async () => {
    const all = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json']));
    return all.find((x) => x.id === s.id && x.status === 'exited');
  });
  t.deepEqual(Object.keys(ended).sort(), [
    'activity', 'attachedClients', 'cols', 'command', 'createdAt', 'cwd', 'endedAt', 'error', 'exitCode', 'id',
    'lastActivityAt', 'leftoverPids', 'name', 'outputBytes', 'pid', 'preset', 'rows', 'signal', 'startedAt', 'status', 'waitingFor', 'windowSize',
  ]);
  t.is(ended.exitCode, 3);
  t.deepEqual(ended.command, ['sh', '-c', 'echo done; exit 3']);
  const running = await start(h, ['--', 'sleep', '600']);
  const refused = await h.ccx(['rm', running.id]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /--force/);
  t.deepEqual(parseJson(await h.ccx(['rm', '--json', 'short'])).removed, [s.id]);
  t.false(parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).some((x) => x.id === s.id));
  await h.ccx(['kill', running.id]);
  t.deepEqual(parseJson(await h.ccx(['prune', '--older-than', '1h', '--json'])).removed, []);
  t.deepEqual(parseJson(await h.ccx(['prune', '--json'])).removed, [running.id]);
});
