import test from 'ava';
import type { ScreenResult, SessionInfo } from '@ccx/shared';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, parseJson, waitFor, type Home, homesFor, startSession } from './helpers/ccx.js';

const home = homesFor(test);
const scratch: string[] = [];
test.after.always(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

async function setup(): Promise<Home> {
  return home();
}

async function start(h: Home, args: string[]): Promise<string> {
  return (await startSession(h, ['--cols', '80', '--rows', '24', ...args])).id;
}

/** Polls `ccx screen --json` until `ready` accepts it. */
async function screenWhen(h: Home, id: string, ready: (s: ScreenResult) => boolean, what: string): Promise<ScreenResult> {
  return waitFor(
    async () => {
      const r = await h.ccx(['screen', id, '--json']);
      if (r.code !== 0) return undefined;
      const screen = parseJson<ScreenResult>(r);
      return ready(screen) ? screen : undefined;
    },
    20_000,
    what,
  );
}

const BASH = ['--env', 'PS1=$ ', '--', 'bash', '--norc', '--noprofile'];

/** A bash session named sh after two commands, one printing a 150-column line and setting a title; its screen once the prompt is back. */
async function bashAfterCommands() {
  const h = await setup();
  const id = await start(h, ['--name', 'sh', ...BASH]);
  await h.ccx(['send', 'sh', 'echo one; echo two']);
  await h.ccx(['send', 'sh', "printf 'x%.0s' {1..150}; echo; printf '\\e]0;my title\\a'"]);
  const screen = await screenWhen(h, id, (s) => /^x{150}$/m.test(s.text) && /\n\$$/.test(s.text), 'the long line and a fresh prompt');
  return { h, id, screen };
}

test('screen --json of bash after commands gives the prompt, output, a wrapped line joined, title, cursor', async (t) => {
  const { id, screen } = await bashAfterCommands();
  const lines: string[] = screen.text.split('\n');
  t.true(lines.includes('one') && lines.includes('two'), screen.text);
  t.true(lines.includes('x'.repeat(150)), 'a line wrapped at 80 columns comes back as one line');
  t.false(lines.some((l) => l !== l.trimEnd()), 'no trailing blanks');
  t.is(lines[lines.length - 1], '$');
  t.like(screen, { session: id, cols: 80, rows: 24, alternateScreen: false, title: 'my title' });
  // The prompt is the last logical line; the 150 x's took two rows of the screen.
  t.deepEqual(screen.cursor, { x: 2, y: lines.length });
  t.true(screen.offset > 0);
});

test('screen without --json prints the text of screen --json', async (t) => {
  const { h, screen } = await bashAfterCommands();
  const plain = await h.ccx(['screen', 'sh']);
  t.is(plain.code, 0);
  t.is(plain.stdout, screen.text + '\n');
});

/** A bash session that printed 60 lines, then a red word, on a 24-row screen. */
async function bashPrintedSixtyLines() {
  const h = await setup();
  const id = await start(h, BASH);
  await h.ccx(['send', id, "seq 1 60; printf '\\e[31mRED\\e[0m plain\\n'"]);
  await screenWhen(h, id, (s) => s.text.includes('RED plain') && /\n\$$/.test(s.text), 'the red line');
  return { h, id };
}

test('screen --ansi keeps colours', async (t) => {
  const { h, id } = await bashPrintedSixtyLines();
  const ansi = await h.ccx(['screen', id, '--ansi']);
  t.is(ansi.code, 0);
  t.regex(ansi.stdout, /\x1b\[31mRED\x1b\[(0|39)m plain/);
  t.notRegex(ansi.stdout, /\x1b\[\?1049/, 'no mode switches in printed output');
});

test('screen --scrollback adds lines that scrolled off the top', async (t) => {
  const { h, id } = await bashPrintedSixtyLines();
  const visible = parseJson(await h.ccx(['screen', id, '--json'])).text.split('\n');
  t.false(visible.includes('10'), 'line 10 scrolled off a 24-row screen');
  const more = parseJson(await h.ccx(['screen', id, '--json', '--scrollback', '40'])).text.split('\n');
  t.true(more.includes('10'));
  t.deepEqual(more.slice(-visible.length), visible);
});

test('screen after a million-line flood is exactly its last 1023 lines: 23 rows, 1000 of scrollback', async (t) => {
  // Most of a plain flood is never parsed (session/screen-feed.ts): what is shown must be what parsing every byte shows.
  const h = await setup();
  const id = await start(h, ['--', 'seq', '1', '1000000']);
  await h.ccx(['wait', id, '--exit', '--timeout', '60s']);
  const screen = parseJson<ScreenResult>(await h.ccx(['screen', id, '--json', '--scrollback', '1000']));
  t.is(screen.text, Array.from({ length: 1023 }, (_, i) => String(1_000_000 - 1022 + i)).join('\n'));
  t.deepEqual(screen.cursor, { x: 0, y: 23 });
});

test('screen after clear shows only the fresh prompt', async (t) => {
  const h = await setup();
  const id = await start(h, ['--env', 'TERM=xterm-256color', ...BASH]);
  await h.ccx(['send', id, 'echo before-clear']);
  await screenWhen(h, id, (s) => s.text.includes('before-clear\n$'), 'output before clear');
  await h.ccx(['send', id, 'clear']);
  const screen = await screenWhen(h, id, (s) => !s.text.includes('before-clear'), 'a cleared screen');
  t.is(screen.text, '$');
  t.deepEqual(screen.cursor, { x: 2, y: 0 });
});

test('screen of vim editing a file is the alternate screen vim draws: buffer text, status line, an edit', async (t) => {
  const h = await setup();
  const dir = mkdtempSync(join(tmpdir(), 'ccxv-'));
  scratch.push(dir);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'first line of notes\nsecond line\nthird line\n');
  const id = await start(h, ['--env', 'TERM=xterm-256color', '--', 'vim', '-u', 'NONE', '-i', 'NONE', '-N', '-n', file]);
  const opened = await screenWhen(h, id, (s) => s.text.includes('third line') && s.text.includes('notes.txt'), 'vim showing the file');
  const lines: string[] = opened.text.split('\n');
  t.is(opened.alternateScreen, true);
  t.deepEqual(lines.slice(0, 3), ['first line of notes', 'second line', 'third line']);
  t.is(lines[3], '~');
  t.regex(lines[lines.length - 1]!, /notes\.txt" 3L, 43B/, 'the status line');
  t.is(lines.length, 24);

  // Typed as raw keys: vim takes bracketed paste in normal mode as text to insert.
  await h.ccx(['send', id, '--key', 'Ohello from ccx\\e']);
  const edited = await screenWhen(h, id, (s) => s.text.startsWith('hello from ccx\n') && !s.text.includes('-- INSERT --'), 'the inserted line');
  t.deepEqual(edited.text.split('\n').slice(0, 2), ['hello from ccx', 'first line of notes']);
  await h.ccx(['send', id, '--key', ':q!\\r']);
  await waitFor(async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.id === id)?.status === 'exited', 15_000, 'vim to quit');
});

test('screen of a full-screen TUI (box-ui fixture) is what it drew: frame, input box, status line', async (t) => {
  const h = await setup();
  const id = await start(h, ['--', process.execPath, join(FIXTURES, 'box-ui.js')]);
  await screenWhen(h, id, (s) => s.text.includes('q to quit'), 'box-ui drawn');
  await h.ccx(['send', id, 'hi there']);
  const screen = await screenWhen(h, id, (s) => s.text.includes('you: hi there'), 'the message in the transcript');
  const lines: string[] = screen.text.split('\n');
  t.is(screen.alternateScreen, true);
  t.is(screen.title, 'box-ui');
  t.is(lines[0], `╭${'─'.repeat(78)}╮`);
  t.regex(lines[1]!, /^│ ✻ box-ui — a Claude-Code-like screen +│$/);
  t.regex(lines[21]!, /^│ > +│$/);
  t.is(lines[23], '  80x24 · q to quit');
  t.deepEqual(screen.cursor, { x: 4, y: 21 });
});

test('screen of an unknown session is E_NOT_FOUND', async (t) => {
  const h = await setup();
  const missing = await h.ccx(['screen', 'nosuchsession']);
  t.is(missing.code, 3);
});

test('an ended session keeps its last screen', async (t) => {
  const h = await setup();
  const id = await start(h, ['--', 'sh', '-c', 'echo last words']);
  await waitFor(async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.id === id)?.status === 'exited', 15_000, 'exit');
  const r = await h.ccx(['screen', id]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'last words\n');
});
