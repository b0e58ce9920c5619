/** Unit tests of packages/daemon/src/wait/answer.ts: cutting the answer out of the plain text of new output. */
import test from 'ava';
import { BUILTIN_PRESETS } from '../../packages/daemon/src/presets/presets.js';
import { extractAnswer, matchEcho } from '../../packages/daemon/src/wait/answer.js';

const py = { prompt: new RegExp(BUILTIN_PRESETS.python!.prompt!, 'm'), echo: new RegExp(BUILTIN_PRESETS.python!.echoPrompt!, 'm') };
const sh = { prompt: new RegExp(BUILTIN_PRESETS.shell!.prompt!, 'm'), echo: new RegExp(BUILTIN_PRESETS.shell!.echoPrompt!, 'm') };

test('a single echoed line and the final prompt are removed', (t) => {
  t.is(extractAnswer('6*7\n42\n>>> ', '6*7', py.prompt, py.echo), '42\n');
  t.is(extractAnswer('x = 5\n>>> ', 'x = 5', py.prompt, py.echo), '');
});

test('python: "... " and ">>> " before further echoed lines go with the echo', (t) => {
  const text = 'for i in range(2):\n...     print(i)\n... \n0\n1\n>>> ';
  t.is(extractAnswer(text, 'for i in range(2):\n    print(i)\n', py.prompt, py.echo), '0\n1\n');
  t.is(extractAnswer('x = (1 +\n...  2)\n>>> x\n3\n>>> ', 'x = (1 +\n 2)\nx', py.prompt, py.echo), '3\n');
});

test("bash: readline's redraw of a bracketed paste (the text again after blanks) goes with the echo", (t) => {
  const text = 'for i in 1 2; do\necho x$i\ndone      for i in 1 2; do\necho x$i\ndone\nx1\nx2\nbash-5.2# ';
  t.is(extractAnswer(text, 'for i in 1 2; do\necho x$i\ndone', sh.prompt, sh.echo), 'x1\nx2\n');
});

test('output that is not the echo is kept whole', (t) => {
  // The program printed before echoing (or does not echo): nothing is taken for the echo.
  t.is(extractAnswer('hello\nline2\n$ ', 'line1\nline2', sh.prompt, sh.echo), 'hello\nline2\n');
  t.is(extractAnswer('6*7 = 42\n', '6*7', undefined, undefined), '6*7 = 42\n');
});

test('matchEcho: partial while the output may still become the echo, none once it cannot', (t) => {
  const echo = 'for i in range(2):\n    print(i)\n';
  t.is(matchEcho('for i in range(2):\n... ', echo, py.echo).state, 'partial');
  t.is(matchEcho('for i in range(2):\n...     print(i)\n... ', echo, py.echo).state, 'partial');
  const echoed = 'for i in range(2):\n...     print(i)\n... \n';
  t.deepEqual(matchEcho(echoed + '0\n', echo, py.echo), { state: 'complete', end: echoed.length });
  t.is(matchEcho('Traceback (most recent call last):\n', echo, py.echo).state, 'none');
  // Without Enter, the echo ends with its last line.
  t.deepEqual(matchEcho('abc', 'abc', undefined, false), { state: 'complete', end: 3 });
});

test('the shell prompt: "> " counts only as a whole line (PS2), not at the end of a program\'s own prompt', (t) => {
  t.true(sh.prompt.test('bash-5.2$ '));
  t.true(sh.prompt.test('root@host:~# '));
  t.true(sh.prompt.test('> '));
  t.false(sh.prompt.test('Enter value> '));
  t.is(extractAnswer('Enter value> ', 'x', sh.prompt, sh.echo), 'Enter value> ');
});

test('without Enter, the whole echo and nothing after it leaves no answer', (t) => {
  t.is(extractAnswer('abc', 'abc', undefined, undefined, false), '');
});

test('an empty echo removes nothing', (t) => {
  t.is(extractAnswer('42\n', '', undefined, undefined), '42\n');
});

test('the prompt is removed only from the last line, not from earlier lines', (t) => {
  t.is(extractAnswer('>>> a\nb\n>>> ', undefined, py.prompt), '>>> a\nb\n');
});

test('output that does not end in a prompt keeps its last line', (t) => {
  t.is(extractAnswer('x\npartial', undefined, py.prompt), 'x\npartial');
});

test('matchEcho: CR LF in the sent text matches an echo with plain line breaks', (t) => {
  t.deepEqual(matchEcho('a\nb\nrest', 'a\r\nb', undefined), { state: 'complete', end: 4 });
});

test('matchEcho: a redraw of the whole text after blanks is part of the echo', (t) => {
  t.deepEqual(matchEcho('ls   ls\nfile\n', 'ls', undefined), { state: 'complete', end: 8 });
});
