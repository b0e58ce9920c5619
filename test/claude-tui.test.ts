/**
 * The real Claude Code TUI in a ccx session, offline against the fake
 * Messages API (test/helpers/claude.ts). Nothing is faked but the model's
 * HTTP API.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { homesFor, parseJson, tempDirsFor, type RunResult, once } from './helpers/ccx.js';
import { claudeHome, claudeStartArgs, fakeApiFor, throttledClaudeStart } from './helpers/claude.js';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxc-');
const fakeApi = fakeApiFor(test);

test('start --preset claude --wait-ready returns once Claude Code 2.1 draws its input line', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()))));
  t.is(started.code, 0, started.stderr);
  const screen = parseJson(await h.ccx(['screen', 'cc', '--json']));
  t.regex(screen.text, /Claude Code v2\./);
  t.regex(screen.text, /^❯/m);
  await h.ccx(['kill', 'cc']);
});

test('send --wait to the real Claude Code prints the answer the fake model gave, exactly', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()))));
  t.is(started.code, 0, started.stderr);
  const answer = await h.ccx(['send', 'cc', 'say ANSWER 108', '--wait', '--timeout', '90']);
  t.is(answer.code, 0, answer.stderr);
  // The answer Claude Code drew, exactly: not the screen around it (--print screen prints that).
  t.is(answer.stdout, 'ANSWER 108\n');
  // Only the loopback fake was asked, and no tunnel to anywhere else was opened.
  t.true(fakeApi().requests.some((r) => r.path === '/v1/messages'));
  t.false(fakeApi().requests.some((r) => r.method === 'CONNECT' && !/^127\.0\.0\.1:/.test(r.path)), JSON.stringify(fakeApi().requests.filter((r) => r.method === 'CONNECT')));
  await h.ccx(['kill', 'cc']);
});

/** Seven rounds in one Claude Code session: a streamed answer waited for with wait --until, then a send --wait. */
const sevenRounds = once(async () => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()))));
  const rounds: Array<{ n: number; sent: RunResult; waited: RunResult; answer: RunResult }> = [];
  if (started.code === 0) {
    for (let n = 101; n <= 107; n++) {
      // Streamed over a second: a match on the echo of the prompt (which holds "ANSWER n" too) would come back without the answer.
      const sent = await h.ccx(['send', 'cc', `slow 1 ANSWER ${n}`]);
      const waited = await h.ccx(['wait', 'cc', '--until', `ANSWER ${n}`, '--print', 'output', '--timeout', '60', '--json']);
      const answer = await h.ccx(['send', 'cc', `say EXACT ${n}`, '--wait', '--print', 'output', '--timeout', '60']);
      rounds.push({ n, sent, waited, answer });
    }
  }
  await h.ccx(['kill', 'cc']);
  return { started, rounds };
});

test('seven answers in a row: wait --until matches each one Claude Code drew', async (t) => {
  const { started, rounds } = await sevenRounds();
  t.is(started.code, 0, started.stderr);
  for (const { n, sent, waited } of rounds) {
    t.is(sent.code, 0, sent.stderr + sent.stdout);
    t.is(waited.code, 0, waited.stderr + waited.stdout);
    const result = parseJson(waited);
    t.is(result.reason, 'match');
    t.is(result.output, `ANSWER ${n}`);
  }
});

test('seven answers in a row: send --wait returns each exactly', async (t) => {
  const { rounds } = await sevenRounds();
  t.is(rounds.length, 7);
  for (const { n, answer } of rounds) {
    t.is(answer.code, 0, answer.stderr);
    t.is(answer.stdout, `EXACT ${n}\n`);
  }
});

/** One Claude Code session allowed to run Bash: a multi-line answer, then a tool turn. */
const drawnAnswers = once(async () => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()), { args: ['--allowedTools', 'Bash'] })));
  const multi = await h.ccx(['send', 'cc', 'say first line\nsecond line', '--wait', '--timeout', '60']);
  const tool = await h.ccx(['send', 'cc', 'run echo from-the-tool', '--wait', '--timeout', '60']);
  await h.ccx(['kill', 'cc']);
  return { started, multi, tool };
});

test('a multi-line answer comes back as what Claude Code drew', async (t) => {
  const { started, multi } = await drawnAnswers();
  t.is(started.code, 0, started.stderr);
  t.is(multi.code, 0, multi.stderr);
  t.is(multi.stdout, 'first line\nsecond line\n');
});

test('a tool turn comes back as what Claude Code drew, without its marks or indent', async (t) => {
  const { tool } = await drawnAnswers();
  t.is(tool.code, 0, tool.stderr);
  t.regex(tool.stdout, /ran: from-the-tool\n$/);
  t.notRegex(tool.stdout, /^❯|● |esc to interrupt/m);
});
