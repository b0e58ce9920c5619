/**
 * The real Claude Code TUI in a ccx session, offline against the fake
 * Messages API (test/helpers/claude.ts). Nothing is faked but the model's
 * HTTP API.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { homesFor, parseJson, tempDirsFor } from './helpers/ccx.js';
import { CLAUDE_BIN, claudeEnv, claudeHome, envArgs, startFakeApi, type FakeAnthropic } from './helpers/claude.js';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxc-');
let api: FakeAnthropic;
test.before(async () => {
  api = await startFakeApi();
});
test.after.always(async () => {
  await api?.close();
});

test('start --preset claude --wait-ready returns once Claude Code 2.1 draws its input line', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await h.ccx(['start', '--name', 'cc', '--cwd', work, '--cols', '100', '--rows', '30', '--preset', 'claude', '--wait-ready', '--timeout', '90', ...envArgs(claudeEnv(api, claudeHome(newDir()))), '--', CLAUDE_BIN]);
  t.is(started.code, 0, started.stderr);
  const screen = parseJson(await h.ccx(['screen', 'cc', '--json']));
  t.regex(screen.text, /Claude Code v2\./);
  t.regex(screen.text, /^❯/m);
  await h.ccx(['kill', 'cc']);
});

test('send --wait to the real Claude Code prints a screen with the answer the fake model gave', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await h.ccx(['start', '--name', 'cc', '--cwd', work, '--cols', '100', '--rows', '30', '--preset', 'claude', '--wait-ready', '--timeout', '90', ...envArgs(claudeEnv(api, claudeHome(newDir()))), '--', CLAUDE_BIN]);
  t.is(started.code, 0, started.stderr);
  const answer = await h.ccx(['send', 'cc', 'say ANSWER 108', '--wait', '--timeout', '90']);
  t.is(answer.code, 0, answer.stderr);
  t.regex(answer.stdout, /● ANSWER 108/);
  // Only the loopback fake was asked, and no tunnel to anywhere else was opened.
  t.true(api.requests.some((r) => r.path === '/v1/messages'));
  t.false(api.requests.some((r) => r.method === 'CONNECT' && !/^127\.0\.0\.1:/.test(r.path)), JSON.stringify(api.requests.filter((r) => r.method === 'CONNECT')));
  await h.ccx(['kill', 'cc']);
});
