/**
 * A Claude Code session's activity from Claude Code's own state file
 * (~/.claude/sessions/<pid>.json): `waiting` with `waitingFor: permission`
 * while its permission dialog is open, which no amount of screen quiet can
 * tell from "done". The real Claude Code, offline against the fake API.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventsFromLog, homesFor, parseJson, sleep, tempDirsFor, waitFor } from './helpers/ccx.js';
import { CLAUDE_BIN, claudeEnv, claudeHome, envArgs, startFakeApi, type FakeAnthropic } from './helpers/claude.js';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxs-');
let api: FakeAnthropic;
test.before(async () => {
  api = await startFakeApi();
});
test.after.always(async () => {
  await api?.close();
});

test('a permission dialog makes the session waiting (waitingFor permission) in list and events; answering it makes it idle again', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await h.ccx(['start', '--name', 'cc', '--cwd', work, '--cols', '100', '--rows', '30', '--preset', 'claude', '--wait-ready', '--timeout', '90', ...envArgs(claudeEnv(api, claudeHome(newDir()))), '--', CLAUDE_BIN, '--permission-mode', 'default']);
  t.is(started.code, 0, started.stderr);
  const info = async () => parseJson(await h.ccx(['list', '--json'])).find((s: any) => s.name === 'cc');
  await waitFor(async () => (await info()).activity === 'idle', 30_000, 'the idle state from Claude Code');

  await h.ccx(['send', 'cc', 'run echo hi-perm > out.txt']);
  const waiting = await waitFor(async () => {
    const s = await info();
    return s.activity === 'waiting' ? s : undefined;
  }, 60_000, 'the permission dialog to make the session waiting');
  t.is(waiting.waitingFor, 'permission');
  t.regex((await h.ccx(['screen', 'cc'])).stdout, /Do you want to proceed\?/);
  t.true(eventsFromLog(h).some((e) => e.type === 'session-status' && e.activity === 'waiting' && e.waitingFor === 'permission'));
  t.false(existsSync(join(work, 'out.txt')), 'nothing ran before the answer');

  // "1. Yes" is selected: Enter allows it. Claude Code ignores keys for a moment after it draws the
  // dialog (seen: an Enter right after it appeared was dropped), so Enter is pressed again while the
  // dialog is still up, as a person would.
  await waitFor(async () => {
    if (existsSync(join(work, 'out.txt'))) return true;
    if (/Do you want to proceed\?/.test((await h.ccx(['screen', 'cc'])).stdout)) {
      await h.ccx(['send', 'cc', '--key', 'Enter']);
      await sleep(1000);
    }
    return existsSync(join(work, 'out.txt')) || undefined;
  }, 60_000, 'the allowed command to run');
  t.is(readFileSync(join(work, 'out.txt'), 'utf8'), 'hi-perm\n');
  const after = await waitFor(async () => {
    const s = await info();
    return s.activity === 'idle' ? s : undefined;
  }, 60_000, 'the session to be idle once the turn ended');
  t.is(after.waitingFor, null);
  await h.ccx(['kill', 'cc']);
});
