/**
 * A Claude Code session's activity from Claude Code's own state file
 * (~/.claude/sessions/<pid>.json): `waiting` with `waitingFor: permission`
 * while its permission dialog is open, which no amount of screen quiet can
 * tell from "done". The real Claude Code, offline against the fake API.
 */
import test from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventsFromLog, homesFor, parseJson, sleep, tempDirsFor, waitFor } from './helpers/ccx.js';
import { claudeHome, claudeStartArgs, fakeApiFor } from './helpers/claude.js';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxs-');
const fakeApi = fakeApiFor(test);

test('a permission dialog makes the session waiting (waitingFor permission) in list and events; answering it makes it idle again', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()), { args: ['--permission-mode', 'default'] }));
  t.is(started.code, 0, started.stderr);
  const info = async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).find((s) => s.name === 'cc')!;
  await waitFor(async () => (await info()).activity === 'idle', 30_000, 'the idle state from Claude Code');

  await h.ccx(['send', 'cc', 'run echo hi-perm > out.txt']);
  const waiting = await waitFor(async () => {
    const s = await info();
    return s.activity === 'waiting' ? s : undefined;
  }, 60_000, 'the permission dialog to make the session waiting');
  t.is(waiting.waitingFor, 'permission');
  // The state file says so a moment before the dialog is drawn ("Waiting for permission…").
  await waitFor(async () => /Do you want to proceed\?/.test((await h.ccx(['screen', 'cc'])).stdout), 30_000, 'the dialog on the screen');
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

/** A Claude Code TUI session at its prompt, asking before it runs tools. */
async function claudeSession(h: ReturnType<typeof newHome>, work: string): Promise<() => Promise<SessionInfo>> {
  const started = await h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()), { args: ['--permission-mode', 'default'] }));
  if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
  const info = async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).find((s) => s.name === 'cc')!;
  await waitFor(async () => (await info()).activity === 'idle', 30_000, 'the idle state from Claude Code');
  return info;
}

async function untilAsking(info: () => Promise<SessionInfo>): Promise<void> {
  await waitFor(async () => (await info()).waitingFor === 'permission', 60_000, 'the permission dialog');
}

test('ccx approve answers the permission dialog and the tool runs', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const info = await claudeSession(h, work);
  await h.ccx(['send', 'cc', 'run echo approved-run > out.txt']);
  await untilAsking(info);
  const r = await h.ccx(['approve', 'cc', '--json']);
  t.is(r.code, 0, r.stderr);
  const result = parseJson(r);
  t.is(result.approved, true);
  t.true(result.presses >= 1);
  await waitFor(() => existsSync(join(work, 'out.txt')), 60_000, 'the approved command to run');
  t.is(readFileSync(join(work, 'out.txt'), 'utf8'), 'approved-run\n');
  await h.ccx(['kill', 'cc']);
});

test('ccx deny --message refuses the tool and sends what to do instead', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const info = await claudeSession(h, work);
  await h.ccx(['send', 'cc', 'run echo never > out.txt']);
  await untilAsking(info);
  const r = await h.ccx(['deny', 'cc', '--message', 'say denied-so-did-this', '--json']);
  t.is(r.code, 0, r.stderr);
  t.like(parseJson(r), { approved: false, messageSent: true });
  await waitFor(async () => /denied-so-did-this/.test((await h.ccx(['screen', 'cc'])).stdout.replace(/^❯ say denied-so-did-this$/m, '')), 60_000, "the fake model's answer to the message");
  t.false(existsSync(join(work, 'out.txt')), 'the denied command ran');
  await h.ccx(['kill', 'cc']);
});

test('approve when nothing is asked is exit 3 saying so', async (t) => {
  const h = newHome();
  await claudeSession(h, mkdtempSync(join(newDir(), 'w-')));
  const r = await h.ccx(['approve', 'cc']);
  t.is(r.code, 3);
  t.regex(r.stderr, /is not asking for a permission/);
  await h.ccx(['kill', 'cc']);
});

test('interrupt while Claude Code is idle sends nothing, so no Rewind picker swallows the next prompt', async (t) => {
  const h = newHome();
  await claudeSession(h, mkdtempSync(join(newDir(), 'w-')));
  for (let i = 0; i < 2; i++) {
    const r = await h.ccx(['interrupt', 'cc', '--json']);
    t.is(r.code, 0, r.stderr);
    t.is(parseJson(r).skipped, 'idle');
  }
  const answer = await h.ccx(['send', 'cc', 'say after-two-interrupts', '--wait', '--timeout', '60']);
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout, 'after-two-interrupts\n');
  await h.ccx(['kill', 'cc']);
});

test('interrupt while Claude Code is busy aborts the turn; the session stays and the next turn works', async (t) => {
  const h = newHome();
  const info = await claudeSession(h, mkdtempSync(join(newDir(), 'w-')));
  await h.ccx(['send', 'cc', `slow 20 ${Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')}`]);
  await waitFor(async () => (await info()).activity === 'busy', 30_000, 'the slow turn to start');
  const r = await h.ccx(['interrupt', 'cc', '--json']);
  t.is(r.code, 0, r.stderr);
  t.is(parseJson(r).skipped, undefined);
  await waitFor(async () => (await info()).activity === 'idle', 15_000, 'the turn to be aborted');
  t.is((await info()).status, 'running');
  // The answer stopped early: the prompt's echo holds word39, the answer never does.
  const screen = (await h.ccx(['screen', 'cc'])).stdout;
  t.regex(screen, /Interrupted/);
  t.notRegex(screen.slice(screen.indexOf('●')), /word39/);
  const answer = await h.ccx(['send', 'cc', 'say next-turn-works', '--wait', '--timeout', '60']);
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout, 'next-turn-works\n');
  await h.ccx(['kill', 'cc']);
});

test('send --wait ends when Claude Code says its turn ended (reason turn-end), not after a quiet spell', async (t) => {
  const h = newHome();
  await claudeSession(h, mkdtempSync(join(newDir(), 'w-')));
  const r = await h.ccx(['send', 'cc', 'say turn-over', '--wait', '--timeout', '60', '--json']);
  t.is(r.code, 0, r.stderr);
  const result = parseJson(r);
  t.is(result.wait.reason, 'turn-end');
  t.is(result.wait.output, 'turn-over');
  await h.ccx(['kill', 'cc']);
});

test('send --wait ends when Claude Code starts waiting for a permission, and says so (reason waiting)', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  await claudeSession(h, work);
  const r = await h.ccx(['send', 'cc', 'run echo asked > out.txt', '--wait', '--timeout', '60', '--json']);
  t.is(r.code, 0, r.stderr);
  t.is(parseJson(r).wait.reason, 'waiting');
  t.false(existsSync(join(work, 'out.txt')), 'nothing ran before the answer');
  const note = await h.ccx(['deny', 'cc']);
  t.is(note.code, 0, note.stderr);
  await h.ccx(['kill', 'cc']);
});
