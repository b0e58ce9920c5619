/**
 * `send --wait` is a turn (issue 12 point 8): sends with --wait on one
 * session are serialized in the daemon, so each caller gets the answer to
 * its own text; a plain send waits behind a turn (--no-queue: E_BUSY); a
 * client that goes away mid-turn gives the turn back.
 */
import test from 'ava';
import { homesFor, parseJson, waitFor, type Home, type RunResult } from './helpers/ccx.js';

const home = homesFor(test);

async function startPython(h: Home): Promise<string> {
  const r = await h.ccx(['start', '--json', '--name', 'py', '--preset', 'python', '--wait-ready', '--timeout', '60', '--', 'python3', '-q']);
  if (r.code !== 0) throw new Error(`start failed (${r.code}): ${r.stderr}`);
  return parseJson(r).id;
}

/** The session's output so far, as text. */
async function logs(h: Home): Promise<string> {
  return (await h.ccx(['logs', 'py'])).stdout;
}

test('two callers asking one REPL at once each get the answer to their own text', async (t) => {
  const h = home();
  await startPython(h);
  const a = h.ccx(['send', 'py', 'import time; time.sleep(6); "A-answer"', '--wait', '--timeout', '60']);
  // B asks while A's answer is still being computed.
  await waitFor(async () => (await logs(h)).includes('time.sleep(6)'), 30_000, "A's text in the output");
  const b = await h.ccx(['send', 'py', '"B-answer"', '--wait', '--timeout', '60']);
  const ra = await a;
  t.is(ra.code, 0, ra.stderr);
  t.is(b.code, 0, b.stderr);
  t.is(ra.stdout, "'A-answer'\n");
  t.is(b.stdout, "'B-answer'\n");
});

test("a plain send during someone's turn is written only after that turn's answer", async (t) => {
  const h = home();
  await startPython(h);
  const a = h.ccx(['send', 'py', 'import time; time.sleep(6); "A-answer"', '--wait', '--timeout', '60']);
  await waitFor(async () => (await logs(h)).includes('time.sleep(6)'), 30_000, "A's text in the output");
  const c = await h.ccx(['send', 'py', '"C-text"']);
  t.is(c.code, 0, c.stderr);
  t.is((await a).stdout, "'A-answer'\n");
  const out = await waitFor(async () => {
    const text = await logs(h);
    return text.includes("'C-text'") && text;
  }, 30_000, "C's answer");
  // Typed ahead during A's turn, the terminal would have echoed C's text before A's answer.
  t.true(out.indexOf("'A-answer'") < out.indexOf('"C-text"'), out);
});

/** A python session whose turn A (a 600 s sleep) is under way; A's send --wait, still running. */
async function turnUnderWay(h: Home): Promise<{ a: Promise<RunResult> }> {
  await startPython(h);
  const a = h.ccx(['send', 'py', 'import time; time.sleep(600); "A-answer"', '--wait', '--timeout', '600']);
  await waitFor(async () => (await logs(h)).includes('time.sleep(600)'), 30_000, "A's text in the output");
  return { a };
}

/** Two --no-queue sends during the turn, in text and with --json. */
async function noQueueSends(h: Home): Promise<{ busy: RunResult; json: RunResult }> {
  const busy = await h.ccx(['send', 'py', '"never-sent"', '--no-queue']);
  const json = await h.ccx(['send', 'py', '"never-sent"', '--no-queue', '--wait', '--json']);
  return { busy, json };
}

test("--no-queue during someone's turn fails with E_BUSY, with a hint", async (t) => {
  const h = home();
  await turnUnderWay(h);
  const { busy, json } = await noQueueSends(h);
  t.not(busy.code, 0);
  t.regex(busy.stderr, /\[E_BUSY\]/);
  t.regex(busy.stderr, /^hint: .*--no-queue/m);
  t.is(JSON.parse(json.stderr).error.code, 'E_BUSY');
});

test("--no-queue during someone's turn sends nothing, even once the turn ended", async (t) => {
  const h = home();
  const { a } = await turnUnderWay(h);
  await noQueueSends(h);
  await h.ccx(['interrupt', 'py']);
  await a;
  t.false((await logs(h)).includes('never-sent'));
});

test("interrupt does not wait for someone's turn: it ends it", async (t) => {
  const h = home();
  const { a } = await turnUnderWay(h);
  // interrupt does not wait for the turn: it ends A's, whose answer is the KeyboardInterrupt.
  t.is((await h.ccx(['interrupt', 'py'])).code, 0);
  t.regex((await a).stdout, /KeyboardInterrupt/);
});

test('a client that disconnects mid-turn gives the turn back', async (t) => {
  const h = home();
  await startPython(h);
  const holder = h.spawnCcx(['send', 'py', 'import time; time.sleep(600); "never"', '--wait']);
  await waitFor(async () => (await logs(h)).includes('time.sleep(600)'), 30_000, "the holder's text in the output");
  // Held: a --no-queue send is refused while the holder is connected.
  t.regex((await h.ccx(['send', 'py', '--no-queue', '--no-enter', '#'])).stderr, /E_BUSY/);
  holder.kill('SIGKILL');
  await waitFor(async () => (await h.ccx(['send', 'py', '--no-queue', '--key', 'C-c'])).code === 0, 30_000, 'the turn to be free');
  const r = await h.ccx(['send', 'py', '"after"', '--wait', '--timeout', '60']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, "'after'\n");
});
