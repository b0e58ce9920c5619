/**
 * Typing, not pasting: `send --no-paste` and the keys `send --key` accepts.
 * The byte-level checks read what a raw-mode program received; the vim test
 * drives a real vim in a session's PTY and checks the file it wrote.
 */
import test from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, homesFor, parseJson, startSession, tempDirsFor, waitFor, waitForOutput, type Home } from './helpers/ccx.js';

const home = homesFor(test);
const tempDir = tempDirsFor(test, 'ccxk-');

/** The paste recorder fixture writing what it reads to keys.bin, once READY. */
async function keyRecorder(h: Home): Promise<{ id: string; file: string }> {
  const file = join(tempDir(), 'keys.bin');
  const rec = await startSession(h, ['--', 'python3', join(FIXTURES, 'paste-recorder.py'), file]);
  await waitForOutput(h, rec.id, 'READY');
  return { id: rec.id, file };
}

test('send --key delivers single characters, function keys, Meta, S-Tab, C-Space exactly', async (t) => {
  const h = home();
  const rec = await keyRecorder(h);
  const file = rec.file;
  const keys = ['q', '3', ':', 'F1', 'F12', 'M-x', 'S-Tab', 'C-Space', 'Enter'];
  const r = await h.ccx(['send', rec.id, ...keys.flatMap((k) => ['--key', k])]);
  t.is(r.code, 0, r.stderr);
  const expected = 'q3:\x1bOP\x1b[24~\x1bx\x1b[Z\0\r';
  const got = await waitFor(() => {
    try {
      const b = readFileSync(file, 'latin1');
      return b.length >= expected.length ? b : undefined;
    } catch {
      return undefined;
    }
  }, 30_000, 'the keys to reach the program');
  t.is(got, expected);
});

test('send --key of an unknown key is a usage error listing the key names', async (t) => {
  const h = home();
  const rec = await keyRecorder(h);
  const bad = await h.ccx(['send', rec.id, '--key', 'F13']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown key: F13 \[E_USAGE\]/);
  t.regex(bad.stderr, /hint: .*F1 … F12.*M-KEY/);
});

test('send --no-paste types the text without paste markers to a program that enabled bracketed paste', async (t) => {
  const h = home();
  const dir = tempDir();
  const file = join(dir, 'typed.bin');
  const rec = await startSession(h, ['--', 'python3', join(FIXTURES, 'paste-recorder.py'), file]);
  await waitForOutput(h, rec.id, 'READY');
  const pasted = parseJson(await h.ccx(['send', '--json', rec.id, 'pasted', '--no-enter']));
  t.true(pasted.bracketedPaste);
  const typed = parseJson(await h.ccx(['send', '--json', rec.id, '--no-paste', ':wq']));
  t.false(typed.bracketedPaste, 'typed text is never wrapped');
  t.is(typed.bytes, 4);
  const expected = '\x1b[200~pasted\x1b[201~:wq\r';
  const got = await waitFor(() => {
    const b = readFileSync(file, 'latin1');
    return b.endsWith('\r') ? b : undefined;
  }, 30_000, 'the typed text and Enter');
  t.is(got, expected);
});

test('vim can be driven by send --no-paste with --key: ggOgamma, Escape, :wq write gamma above the first line', async (t) => {
  const h = home();
  const dir = tempDir();
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'alpha\nbeta\n');
  const vim = await startSession(h, ['--cols', '80', '--rows', '24', '--', 'vim', '-u', 'NONE', '-i', 'NONE', '-N', '-n', file]);
  await waitFor(async () => {
    const s = parseJson((await h.ccx(['screen', vim.id, '--json'])));
    return s.text.includes('beta') && s.text.includes('notes.txt');
  }, 30_000, 'vim to show the file');
  // vim has switched bracketed paste on: pasted, these letters would be inserted as text.
  t.is((await h.ccx(['send', vim.id, '--no-paste', 'ggOgamma', '--key', 'Escape'])).code, 0);
  await waitFor(async () => {
    const s = parseJson(await h.ccx(['screen', vim.id, '--json']));
    return s.text.startsWith('gamma\nalpha\nbeta') && !s.text.includes('-- INSERT --');
  }, 30_000, 'vim to show the new line and leave insert mode');
  t.is((await h.ccx(['send', vim.id, '--no-paste', ':wq'])).code, 0);
  await waitFor(async () => {
    const s = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((x) => x.id === vim.id)!;
    return s.status === 'exited';
  }, 30_000, 'vim to write the file and quit');
  t.is(readFileSync(file, 'utf8'), 'gamma\nalpha\nbeta\n');
});
