/**
 * The real Claude Code TUI in a ccx session, offline against the fake
 * Messages API (test/helpers/claude.ts). Nothing is faked but the model's
 * HTTP API.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { homesFor, parseJson, tempDirsFor } from './helpers/ccx.js';
import { claudeHome, claudeStartArgs, fakeApiFor } from './helpers/claude.js';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxc-');
const fakeApi = fakeApiFor(test);

test('start --preset claude --wait-ready returns once Claude Code 2.1 draws its input line', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir())));
  t.is(started.code, 0, started.stderr);
  const screen = parseJson(await h.ccx(['screen', 'cc', '--json']));
  t.regex(screen.text, /Claude Code v2\./);
  t.regex(screen.text, /^❯/m);
  await h.ccx(['kill', 'cc']);
});

test('send --wait to the real Claude Code prints a screen with the answer the fake model gave', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir())));
  t.is(started.code, 0, started.stderr);
  const answer = await h.ccx(['send', 'cc', 'say ANSWER 108', '--wait', '--timeout', '90']);
  t.is(answer.code, 0, answer.stderr);
  t.regex(answer.stdout, /● ANSWER 108/);
  // Only the loopback fake was asked, and no tunnel to anywhere else was opened.
  t.true(fakeApi().requests.some((r) => r.path === '/v1/messages'));
  t.false(fakeApi().requests.some((r) => r.method === 'CONNECT' && !/^127\.0\.0\.1:/.test(r.path)), JSON.stringify(fakeApi().requests.filter((r) => r.method === 'CONNECT')));
  await h.ccx(['kill', 'cc']);
});
