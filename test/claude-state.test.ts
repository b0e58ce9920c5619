/**
 * A Claude Code session's activity from Claude Code's own state file
 * (~/.claude/sessions/<pid>.json): `waiting` with `waitingFor: permission`
 * while its permission dialog is open, which no amount of screen quiet can
 * tell from "done". The real Claude Code, offline against the fake API.
 */
import test from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { ClaudeTranscript } from '../packages/daemon/src/session/claude-transcript.js';
import { join } from 'node:path';
import { eventsFromLog, homesFor, parseJson, sleep, tempDirsFor, waitFor, once } from './helpers/ccx.js';
import { claudeHome, claudeStartArgs, fakeApiFor, throttledClaudeStart, writtenLine } from './helpers/claude.js';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxs-');
const fakeApi = fakeApiFor(test);

/**
 * A Claude Code session asked to run a command: its permission dialog, then
 * Enter on "1. Yes". What list and the events said while it asked, whether the
 * command ran before, what it wrote and what list said once the turn ended.
 */
const permissionDialogStory = once(async () => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()), { args: ['--permission-mode', 'default'] })));
  const info = async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).find((s) => s.name === 'cc')!;
  await waitFor(async () => (await info()).activity === 'idle', 30_000, 'the idle state from Claude Code');

  await h.ccx(['send', 'cc', 'run echo hi-perm > out.txt']);
  const waiting = await waitFor(async () => {
    const s = await info();
    return s.activity === 'waiting' ? s : undefined;
  }, 60_000, 'the permission dialog to make the session waiting');
  // The state file says so a moment before the dialog is drawn ("Waiting for permission…").
  await waitFor(async () => /Do you want to proceed\?/.test((await h.ccx(['screen', 'cc'])).stdout), 30_000, 'the dialog on the screen');
  const waitingEvent = eventsFromLog(h).some((e) => e.type === 'session-status' && e.activity === 'waiting' && e.waitingFor === 'permission');
  const ranBeforeAnswer = existsSync(join(work, 'out.txt'));

  // "1. Yes" is selected: Enter allows it. Claude Code ignores keys for a moment after it draws the
  // dialog (seen: an Enter right after it appeared was dropped), so Enter is pressed again while the
  // dialog is still up, as a person would.
  const out = join(work, 'out.txt');
  const written = await waitFor(async () => {
    // Once the file exists the command runs: no more Enter, only its line to wait for.
    if (existsSync(out)) return writtenLine(out);
    if (/Do you want to proceed\?/.test((await h.ccx(['screen', 'cc'])).stdout)) {
      await h.ccx(['send', 'cc', '--key', 'Enter']);
      await sleep(1000);
    }
    return writtenLine(out);
  }, 60_000, 'the allowed command to write its output');
  const after = await waitFor(async () => {
    const s = await info();
    return s.activity === 'idle' ? s : undefined;
  }, 60_000, 'the session to be idle once the turn ended');
  await h.ccx(['kill', 'cc']);
  return { started, waiting, waitingEvent, ranBeforeAnswer, written, after };
});

test('a permission dialog makes the session waiting (waitingFor permission) in list', async (t) => {
  const { started, waiting } = await permissionDialogStory();
  t.is(started.code, 0, started.stderr);
  t.is(waiting.waitingFor, 'permission');
});

test('a permission dialog makes the session waiting (waitingFor permission) in the events', async (t) => {
  const { waitingEvent } = await permissionDialogStory();
  t.true(waitingEvent);
});

test('nothing runs while the permission dialog waits for its answer', async (t) => {
  const { ranBeforeAnswer } = await permissionDialogStory();
  t.false(ranBeforeAnswer, 'nothing ran before the answer');
});

test('the command allowed in the permission dialog runs', async (t) => {
  const { written } = await permissionDialogStory();
  t.is(written, 'hi-perm\n');
});

test('answering the permission dialog makes the session idle again, waiting for nothing', async (t) => {
  const { after } = await permissionDialogStory();
  t.is(after.waitingFor, null);
});

/** A Claude Code TUI session at its prompt, asking before it runs tools. */
async function claudeSession(h: ReturnType<typeof newHome>, work: string): Promise<() => Promise<SessionInfo>> {
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()), { args: ['--permission-mode', 'default'] })));
  if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
  const info = async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).find((s) => s.name === 'cc')!;
  await waitFor(async () => (await info()).activity === 'idle', 30_000, 'the idle state from Claude Code');
  return info;
}

async function untilAsking(h: ReturnType<typeof newHome>, info: () => Promise<SessionInfo>): Promise<void> {
  try {
    await waitFor(async () => (await info()).waitingFor === 'permission', 60_000, 'the permission dialog');
  } catch (error) {
    // What the session showed and said instead: a bare timeout tells nothing of why.
    const screen = (await h.ccx(['screen', 'cc'])).stdout;
    const statuses = eventsFromLog(h).filter((e) => e.type === 'session-status' || e.type === 'input-sent');
    throw new Error(`${(error as Error).message}\nlist: ${JSON.stringify(await info())}\nevents: ${JSON.stringify(statuses)}\nscreen:\n${screen}`);
  }
}

test('ccx approve answers the permission dialog: the tool runs', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const info = await claudeSession(h, work);
  await h.ccx(['send', 'cc', 'run echo approved-run > out.txt']);
  await untilAsking(h, info);
  const r = await h.ccx(['approve', 'cc', '--json']);
  t.is(r.code, 0, r.stderr);
  const result = parseJson(r);
  t.is(result.approved, true);
  t.true(result.presses >= 1);
  const written = await waitFor(() => writtenLine(join(work, 'out.txt')), 60_000, 'the approved command to write its output');
  t.is(written, 'approved-run\n');
  await h.ccx(['kill', 'cc']);
});

/** A Claude Code session asking to run a command, denied with ccx deny --message; once the fake model answered the message. */
const deniedWithMessage = once(async () => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const info = await claudeSession(h, work);
  await h.ccx(['send', 'cc', 'run echo never > out.txt']);
  await untilAsking(h, info);
  const r = await h.ccx(['deny', 'cc', '--message', 'say denied-so-did-this', '--json']);
  await waitFor(async () => /denied-so-did-this/.test((await h.ccx(['screen', 'cc'])).stdout.replace(/^❯ say denied-so-did-this$/m, '')), 60_000, "the fake model's answer to the message");
  const ran = existsSync(join(work, 'out.txt'));
  await h.ccx(['kill', 'cc']);
  return { r, ran };
});

test('ccx deny refuses the tool', async (t) => {
  const { ran } = await deniedWithMessage();
  t.false(ran, 'the denied command ran');
});

test('ccx deny --message sends what to do instead', async (t) => {
  const { r } = await deniedWithMessage();
  t.is(r.code, 0, r.stderr);
  t.like(parseJson(r), { approved: false, messageSent: true });
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

/** A Claude Code session interrupted during a slow turn, then sent one more prompt. */
const interruptedBusyTurn = once(async () => {
  const h = newHome();
  const info = await claudeSession(h, mkdtempSync(join(newDir(), 'w-')));
  await h.ccx(['send', 'cc', `slow 20 ${Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')}`]);
  await waitFor(async () => (await info()).activity === 'busy', 30_000, 'the slow turn to start');
  const r = await h.ccx(['interrupt', 'cc', '--json']);
  await waitFor(async () => (await info()).activity === 'idle', 15_000, 'the turn to be aborted');
  const status = (await info()).status;
  const screen = (await h.ccx(['screen', 'cc'])).stdout;
  const answer = await h.ccx(['send', 'cc', 'say next-turn-works', '--wait', '--timeout', '60']);
  await h.ccx(['kill', 'cc']);
  return { r, status, screen, answer };
});

test('interrupt while Claude Code is busy aborts the turn', async (t) => {
  const { r, screen } = await interruptedBusyTurn();
  t.is(r.code, 0, r.stderr);
  t.is(parseJson(r).skipped, undefined);
  // The answer stopped early: the prompt's echo holds word39, the answer never does.
  t.regex(screen, /Interrupted/);
  t.notRegex(screen.slice(screen.indexOf('●')), /word39/);
});

test('a Claude Code session stays running after an interrupt of its busy turn', async (t) => {
  t.is((await interruptedBusyTurn()).status, 'running');
});

test('the turn after an interrupted one works', async (t) => {
  const { answer } = await interruptedBusyTurn();
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout, 'next-turn-works\n');
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

test("Claude Code's transcript says when it took a prompt and when the turn ended, as ccx reads it", async (t) => {
  const h = newHome();
  const home = claudeHome(newDir());
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, home, { args: ['--permission-mode', 'default'] })));
  t.is(started.code, 0, started.stderr);
  const sessions = join(home, '.claude', 'sessions');
  const state = readdirSync(sessions)
    .filter((f) => /^\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(sessions, f), 'utf8')) as { sessionId: string; cwd: string })[0]!;
  // Looked for before the first prompt, as the daemon's poll does: the transcript is then read from its start.
  const transcript = new ClaudeTranscript(home, process.getuid?.() ?? -1);
  transcript.read(state.sessionId, state.cwd);
  const sentAt = Date.now();
  const r = await h.ccx(['send', 'cc', 'say transcript-told', '--wait', '--timeout', '60']);
  t.is(r.code, 0, r.stderr);
  const doneAt = Date.now();
  const turns = transcript.read(state.sessionId, state.cwd);
  t.true(turns.promptAt !== null && turns.promptAt >= sentAt && turns.promptAt <= doneAt, `prompt taken at ${turns.promptAt}, sent at ${sentAt}`);
  t.true(turns.turnEndAt !== null && turns.turnEndAt >= turns.promptAt! && turns.turnEndAt <= doneAt, `turn ended at ${turns.turnEndAt}`);
  await h.ccx(['kill', 'cc']);
});

test('send --wait ends with reason waiting when Claude Code starts waiting for a permission', async (t) => {
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
