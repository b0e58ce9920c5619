/**
 * Answers you can trust (issue 12 point 14): the answer to a multi-line send
 * holds no echo of its lines and no continuation prompts; with the shell
 * preset a program's own "> " prompt is not the shell's; a truncated answer
 * says so.
 */
import test from 'ava';
import { homesFor, parseJson, type Home } from './helpers/ccx.js';

const home = homesFor(test);

async function start(h: Home, args: string[]): Promise<string> {
  const r = await h.ccx(['start', '--json', ...args]);
  if (r.code !== 0) throw new Error(`start failed (${r.code}): ${r.stderr}`);
  return parseJson(r).id;
}

test('python: the answer to a multi-line send has neither the echo of its lines nor "... " prompts', async (t) => {
  const h = home();
  await start(h, ['--name', 'py', '--preset', 'python', '--wait-ready', '--timeout', '60', '--', 'python3', '-q']);
  const loop = await h.ccx(['send', 'py', 'for i in range(3):\n    print(i * 10)\n', '--wait', '--timeout', '60']);
  t.is(loop.code, 0, loop.stderr);
  t.is(loop.stdout, '0\n10\n20\n');
  // Two statements, the first over two lines: python prints ">>> " and "... " between the echoed lines.
  const two = await h.ccx(['send', 'py', 'x = (1 +\n 2)\nx * 7', '--wait', '--timeout', '60']);
  t.is(two.stdout, '21\n');
  const def = await h.ccx(['send', 'py', 'def f(n):\n    return n + 1\n\nf(41)', '--wait', '--timeout', '60']);
  t.is(def.stdout, '42\n');
});

test('bash: the answer to a multi-line send has no echo of its lines', async (t) => {
  const h = home();
  await start(h, ['--name', 'sh', '--preset', 'shell', '--', 'bash', '--norc', '--noprofile']);
  const r = await h.ccx(['send', 'sh', 'for i in 1 2; do\n  echo "line $i"\ndone\necho end', '--wait', '--timeout', '60']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'line 1\nline 2\nend\n');
});

test('shell preset: a program\'s prompt ending in "> " is not the shell\'s prompt', async (t) => {
  const h = home();
  await start(h, ['--name', 'sh', '--preset', 'shell', '--', 'bash', '--norc', '--noprofile']);
  const asking = await h.ccx(['send', 'sh', 'printf "Enter value> "; read v; echo "got $v"', '--wait', '--timeout', '3', '--json']);
  t.is(asking.code, 124, asking.stderr);
  t.is(parseJson(asking).wait.reason, 'timeout');
  const answered = await h.ccx(['send', 'sh', 'hello', '--wait', '--timeout', '60']);
  t.is(answered.code, 0, answered.stderr);
  t.is(answered.stdout, 'got hello\n');
  // PS2 alone on its line still counts: the shell waits for the rest of the command.
  const open = await h.ccx(['send', 'sh', 'echo "unclosed', '--wait', '--timeout', '60', '--json']);
  t.is(parseJson(open).wait.reason, 'prompt', open.stderr);
});

test('an answer longer than a wait keeps says so: truncated in JSON, a note on stderr', async (t) => {
  const h = home();
  await start(h, ['--name', 'sh', '--preset', 'shell', '--', 'bash', '--norc', '--noprofile']);
  const long = await h.ccx(['send', 'sh', 'seq 1 100000', '--wait', '--timeout', '120', '--json']);
  t.is(long.code, 0, long.stderr);
  const j = parseJson(long).wait;
  t.true(j.truncated);
  t.regex(j.output, /\n100000\n$/);
  const text = await h.ccx(['send', 'sh', 'seq 1 100000', '--wait', '--timeout', '120']);
  t.regex(text.stderr, /^ccx: .*only its end/m);
  const short = parseJson(await h.ccx(['send', 'sh', 'echo short', '--wait', '--timeout', '60', '--json'])).wait;
  t.is(short.output, 'short\n');
  t.is(short.truncated, undefined);
});
