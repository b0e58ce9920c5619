/**
 * The submit check of an agent TUI (session/submit-check.ts) when the
 * program under the claude preset writes no state file (a wrapper, an
 * older Claude Code): its state stays unread, and the screen, which shows
 * no input box with the prompt in it, says the Enter needs no repeat — so a
 * send presses Enter once instead of pressing it again three times.
 */
import test from 'ava';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { homesFor, parseJson, waitFor } from './helpers/ccx.js';

const home = homesFor(test);

test('under the claude preset, a program that writes no state file gets one Enter per send', async (t) => {
  const h = home();
  const programHome = join(h.dir, 'program-home');
  mkdirSync(programHome);
  // It draws the preset's ready footer, then echoes what it reads: each Enter is one line of cat's echo.
  const started = await h.ccx(['start', '--name', 'c', '--preset', 'claude', '--env', `HOME=${programHome}`, '--', 'sh', '-c', 'echo "? for shortcuts"; exec cat']);
  t.is(started.code, 0, started.stderr);
  const sent = await h.ccx(['send', 'c', 'hello-once', '--json']);
  t.is(sent.code, 0, sent.stderr);
  t.is(parseJson(sent).resubmitted, 0);
  // cat echoes each line it reads once more: the tty's echo and cat's copy, no empty lines from extra Enters.
  const out = await waitFor(async () => {
    const s = (await h.ccx(['logs', 'c'])).stdout;
    return (s.match(/hello-once/g) ?? []).length >= 2 ? s : undefined;
  }, 15_000, "cat's copy of the line");
  t.notRegex(out, /hello-once\r?\n(\r?\n)+/);
});
