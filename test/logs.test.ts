import test, { type ExecutionContext } from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, parseJson, waitFor, type Home, homesFor, tempDirsFor, startSession } from './helpers/ccx.js';

const setup = homesFor(test);
const tempDir = tempDirsFor(test, 'ccxl-');

async function start(h: Home, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return (await startSession(h, args, env)).id;
}

async function waitEnded(h: Home, id: string, timeoutMs = 60_000): Promise<SessionInfo> {
  return waitFor(
    async () => {
      const s = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((x) => x.id === id);
      return s && s.status !== 'running' ? s : undefined;
    },
    timeoutMs,
    `session ${id} to end`,
  );
}

/** Runs ccx and keeps stdout as bytes (the harness's `ccx` decodes it as UTF-8). */
function ccxBytes(h: Home, args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = h.spawnCcx(args);
  child.stdin!.end();
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr })));
}

const WRITE_LINES = join(FIXTURES, 'write-lines.js');
/** Runs write-lines.js with the terminal in raw mode, so the PTY passes its bytes through unchanged. */
const rawTty = (script: string): string[] => ['--', 'sh', '-c', `stty raw -echo; exec ${JSON.stringify(process.execPath)} ${script}`];

const SIZE = 20 * 1000 * 1000;

test('logs --raw of a 20 MB output is byte-exact', async (t) => {
  const h = setup();
  const dir = tempDir();
  const exact = join(dir, 'exact.bin');
  const rawId = await start(h, rawTty(`${WRITE_LINES} ${SIZE} --copy ${exact}`));
  await waitEnded(h, rawId);

  const written = readFileSync(exact);
  t.true(written.length >= SIZE);
  const raw = await ccxBytes(h, ['logs', rawId, '--raw']);
  t.is(raw.code, 0, raw.stderr);
  t.is(raw.stdout.length, written.length);
  t.true(raw.stdout.equals(written), '--raw output equals the bytes the program wrote');
});

test('logs in text mode of a 20 MB output gives the program lines', async (t) => {
  const h = setup();
  const dir = tempDir();
  const cooked = join(dir, 'cooked.bin');
  const cookedId = await start(h, ['--', process.execPath, WRITE_LINES, String(SIZE), '--copy', cooked]);
  await waitEnded(h, cookedId);

  // Through a normal (cooked) terminal each \n reaches the log as \r\n; text mode turns that back.
  const lines = readFileSync(cooked, 'utf8');
  const cookedRaw = await ccxBytes(h, ['logs', cookedId, '--raw']);
  t.true(cookedRaw.stdout.equals(Buffer.from(lines.replace(/\n/g, '\r\n'))));
  const text = await ccxBytes(h, ['logs', cookedId]);
  t.is(text.code, 0, text.stderr);
  t.is(text.stdout.length, Buffer.byteLength(lines));
  t.true(text.stdout.toString('utf8') === lines, 'text mode equals the program lines');
});

/** A session that printed seq 1 1000 and ended; its id. */
async function endedSeq1000(h: Home): Promise<string> {
  const id = await start(h, ['--', 'seq', '1', '1000']);
  await waitEnded(h, id);
  return id;
}

test('logs --tail N prints the last N lines', async (t) => {
  const h = setup();
  const id = await endedSeq1000(h);
  t.is((await h.ccx(['logs', id, '--tail', '3'])).stdout, '998\n999\n1000\n');
  t.is((await h.ccx(['logs', id, '-n', '1', '--raw'])).stdout, '1000\r\n');
  t.is((await h.ccx(['logs', id, '--tail', '0'])).stdout, '');
  t.is((await h.ccx(['logs', id, '--tail', '5000'])).stdout.split('\n').length, 1001);
  t.is((await h.ccx(['logs', id, '--tail', '-1'])).code, 2);
});

test('logs --since OFFSET prints from that byte offset on', async (t) => {
  const h = setup();
  const id = await endedSeq1000(h);
  const upTo500 = Buffer.byteLength(Array.from({ length: 500 }, (_, i) => `${i + 1}\r\n`).join(''));
  const since = await h.ccx(['logs', id, '--since', String(upTo500)]);
  t.is(since.stdout, Array.from({ length: 500 }, (_, i) => `${i + 501}\n`).join(''));
  t.is((await h.ccx(['logs', id, '--since', String(upTo500), '--tail', '2'])).stdout, '999\n1000\n');
  t.is((await h.ccx(['logs', id, '--since', '999999'])).stdout, '');
});

test('logs in text mode shows what a terminal would: escape sequences dropped, carriage returns applied', async (t) => {
  const h = setup();
  const colours = await start(h, ['--', 'printf', '\\033[1;32mgreen\\033[0m line\\n\\033]0;a title\\007\\033[2Kplain\\ttab\\n10%%\\r20%%\\r\\n']);
  await waitEnded(h, colours);
  t.is((await h.ccx(['logs', colours])).stdout, 'green line\nplain\ttab\n20%\n');
});

/** logs -f of a program that prints started, reads a line (hello is sent once started is out), prints it and exits 5; its exit code and output. */
async function followedToExit(t: ExecutionContext) {
  const h = setup();
  const id = await start(h, ['--', 'sh', '-c', 'echo started; read x; echo "got $x"; exit 5']);
  const follower = h.spawnCcx(['logs', '-f', id]);
  let out = '';
  follower.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
  await waitFor(() => out.includes('started'), 15_000, 'follower to print "started"');
  t.is((await h.ccx(['send', id, 'hello'])).code, 0);
  const code = await exited;
  return { code, out };
}

test('logs -f streams live output', async (t) => {
  const { out } = await followedToExit(t);
  t.regex(out, /started\n(hello\n)?got hello\n$/);
});

test('logs -f exits with the program exit code', async (t) => {
  const { code } = await followedToExit(t);
  t.is(code, 5);
});

/** A session that printed a line and exited 3, then the daemon stopped (the daemon pid before). */
async function endedThenDaemonStopped(t: ExecutionContext) {
  const h = setup();
  const id = await start(h, ['--', 'sh', '-c', 'echo persisted output; exit 3']);
  await waitEnded(h, id);
  const first = h.daemonPid();
  t.is((await h.ccx(['daemon', 'stop'])).code, 0);
  return { h, id, first };
}

test('logs of an ended session works after a daemon restart', async (t) => {
  const { h, id, first } = await endedThenDaemonStopped(t);
  const logs = await h.ccx(['logs', id]);
  t.is(logs.code, 0, logs.stderr);
  t.not(h.daemonPid(), first, 'a new daemon answered');
  t.is(logs.stdout, 'persisted output\n');
});

test('logs -f of an ended session works after a daemon restart', async (t) => {
  const { h, id } = await endedThenDaemonStopped(t);
  const follow = await h.ccx(['logs', '-f', id]);
  t.is(follow.code, 3);
  t.is(follow.stdout, 'persisted output\n');
});

test('the output log cap is configurable (CCX_OUTPUT_LOG_BYTES): newest two segments kept, logs says what was dropped', async (t) => {
  const h = setup();
  const dir = tempDir();
  const copy = join(dir, 'copy.bin');
  const env = { CCX_OUTPUT_LOG_BYTES: '64k' };
  t.is((await h.ccx(['daemon', 'start'], { env })).code, 0);
  const id = await start(h, rawTty(`${WRITE_LINES} 400000 --copy ${copy}`));
  const info = await waitEnded(h, id);
  const written = readFileSync(copy);
  t.is(info.outputBytes, written.length);
  const segments = readdirSync(join(h.dir, 'state', 'sessions', id)).filter((f) => f.startsWith('output-'));
  t.is(segments.length, 2);
  const raw = await ccxBytes(h, ['logs', id, '--raw']);
  t.is(raw.code, 0);
  t.true(raw.stdout.length >= 64 * 1024 && raw.stdout.length <= 128 * 1024, `kept ${raw.stdout.length} bytes`);
  t.true(written.subarray(written.length - raw.stdout.length).equals(raw.stdout), 'what is kept is the newest output, exactly');
  t.regex(raw.stderr, /rotated out of the log/);
});

test('logs of a session that does not exist: exit 3', async (t) => {
  const h = setup();
  const r = await h.ccx(['logs', 'nosuch']);
  t.is(r.code, 3);
  t.regex(r.stderr, /E_NOT_FOUND/);
});
