/**
 * Waiting as pexpect does (issue 12 point 13): `wait` without --from reads
 * from where the last send wrote, so output that came before the wait
 * counts; a screen pattern is met by what the screen shows now; several
 * patterns report which one matched; --until-text matches exact strings.
 */
import test, { type ExecutionContext } from 'ava';
import { homesFor, parseJson, waitFor, type Home } from './helpers/ccx.js';

const home = homesFor(test);

async function start(h: Home, args: string[]): Promise<string> {
  const r = await h.ccx(['start', '--json', ...args]);
  if (r.code !== 0) throw new Error(`start failed (${r.code}): ${r.stderr}`);
  return parseJson(r).id;
}

async function logs(h: Home, id: string): Promise<string> {
  return (await h.ccx(['logs', id])).stdout;
}

/** A shell session sh that was sent `echo first-answer`, once the answer is in its log. */
async function shellAnswered(t: ExecutionContext): Promise<Home> {
  const h = home();
  await start(h, ['--name', 'sh', '--preset', 'shell', '--', 'bash', '--norc', '--noprofile']);
  t.is((await h.ccx(['send', 'sh', 'echo first-answer'])).code, 0);
  // The answer is complete before the wait is asked for.
  await waitFor(async () => /^first-answer\r?$/m.test(await logs(h, 'sh')), 30_000, 'the answer');
  return h;
}

test('wait --idle after a send counts the output that came before the wait (it starts where the send wrote)', async (t) => {
  const h = await shellAnswered(t);
  const r = await h.ccx(['wait', 'sh', '--idle', '500', '--print', 'output', '--timeout', '20', '--json']);
  t.is(r.code, 0, r.stderr);
  const j = parseJson(r);
  t.is(j.reason, 'idle');
  t.regex(j.output, /^first-answer$/m);
});

test("wait for the preset's prompt after a send is met by the prompt already shown", async (t) => {
  const h = await shellAnswered(t);
  // With the preset's prompt as the condition too: the prompt after the answer is already there.
  const p = await h.ccx(['wait', 'sh', '--timeout', '20', '--json']);
  t.is(parseJson(p).reason, 'prompt', p.stderr);
});

test('send --wait consumes its answer: a later wait without --from reads only what came after it', async (t) => {
  const h = home();
  await start(h, ['--name', 'py', '--preset', 'python', '--wait-ready', '--timeout', '60', '--', 'python3', '-q']);
  // The program prints again a second after answering, with no send in between.
  const r = await h.ccx(['send', 'py', 'import threading; threading.Timer(1.0, lambda: print("later-" + "output")).start(); "once-" + "only"', '--wait', '--timeout', '60']);
  t.is(r.stdout, "'once-only'\n");
  await waitFor(async () => (await logs(h, 'py')).includes('later-output'), 30_000, 'the later output');
  const next = await h.ccx(['wait', 'py', '--until', 'once-only', '--until', 'later-output', '--timeout', '20', '--json']);
  t.is(next.code, 0, next.stderr);
  t.is(parseJson(next).match.text, 'later-output');
  // --from now: only output after the request, so the same wait now times out.
  const now = await h.ccx(['wait', 'py', '--from', 'now', '--until', 'later-output', '--timeout', '1']);
  t.is(now.code, 124, now.stderr);
});

test('wait --until --screen is met by what the screen shows now', async (t) => {
  const h = home();
  const id = await start(h, ['--', 'sh', '-c', 'printf "status: READY\\n"; sleep 600']);
  await waitFor(async () => (await logs(h, id)).includes('READY'), 30_000, 'output');
  const r = await h.ccx(['wait', id, '--until', 'status: (\\w+)', '--screen', '--timeout', '20', '--json']);
  t.is(r.code, 0, r.stderr);
  t.like(parseJson(r), { reason: 'match', match: { text: 'status: READY', groups: ['READY'], index: 0 } });
});

test('several --until patterns: the earliest match wins, match.index / match.pattern saying which', async (t) => {
  const h = home();
  const id = await start(h, ['--', 'sh', '-c', 'read x; echo "step one"; echo "error: disk full"; echo "Build OK"; sleep 600']);
  const waiting = h.ccx(['wait', id, '--until', 'Build OK', '--until', 'error: (.*)', '--timeout', '30', '--json']);
  await waitFor(async () => JSON.parse((await h.ccx(['daemon', 'status', '--json'])).stdout).resources.outputListeners > 0, 30_000, 'the wait to listen');
  await h.ccx(['send', id, 'go']);
  const r = await waiting;
  t.is(r.code, 0, r.stderr);
  t.deepEqual(parseJson(r).match, { text: 'error: disk full', groups: ['disk full'], index: 1, pattern: 'error: (.*)' });
});

/** A session that printed "axb+" then "cost: a.b+ (USD)"; its id. */
async function printedRegexCharacters(h: Home): Promise<string> {
  const id = await start(h, ['--', 'sh', '-c', 'echo "axb+"; echo "cost: a.b+ (USD)"; sleep 600']);
  await waitFor(async () => (await logs(h, id)).includes('USD'), 30_000, 'output');
  return id;
}

test('--until-text patterns are numbered after the --until patterns', async (t) => {
  const h = home();
  const id = await printedRegexCharacters(h);
  const r = await h.ccx(['wait', id, '--from', '0', '--until', 'never-printed', '--until-text', 'a.b+ (USD)', '--timeout', '20', '--json']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(parseJson(r).match, { text: 'a.b+ (USD)', groups: [], index: 1, pattern: 'a.b+ (USD)' });
});

test('--until-text matches the exact string (regex characters are literal)', async (t) => {
  const h = home();
  const id = await printedRegexCharacters(h);
  // As a regex the same text would have matched "axb" on the first line; as text it does not.
  const literal = await h.ccx(['wait', id, '--from', '0', '--until-text', 'a.b', '--timeout', '20', '--json']);
  t.is(parseJson(literal).match.text, 'a.b');
  t.regex(parseJson(literal).output ?? '', /^$/);
});
