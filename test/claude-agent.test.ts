/**
 * Structured Claude Code sessions (`ccx start --agent claude`): the real
 * Claude Code on its stream-json control protocol, offline against the fake
 * Messages API (test/helpers/claude.ts). Nothing is faked but the model's
 * HTTP API.
 */
import type { SessionInfo, ApprovalInfo, ApprovalsResult } from '@ccx/shared';
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ccxOnPath, eventsFromLog, homesFor, parseJson, ROOT, startSession, tempDirsFor, waitFor, type Home, once } from './helpers/ccx.js';
import { CLAUDE_BIN, claudeEnv, claudeHome, envArgs, fakeApiFor } from './helpers/claude.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxa-');
const fakeApi = fakeApiFor(test);
const receivers: Receiver[] = [];
test.after.always(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
});

/** Generous: a loaded 2-core machine starts Claude Code slowly. */
const TURN_TIMEOUT = ['--timeout', '120'];

interface Agent {
  h: Home;
  work: string;
  id: string;
  env: string[];
}

/** A structured session `cc` running the pinned Claude Code in a fresh work dir, with `--permission-mode default` unless `extra` says otherwise. */
async function startAgent(extra: string[] = []): Promise<Agent> {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const env = envArgs(claudeEnv(fakeApi(), claudeHome(newDir())));
  const info = await startSession(h, ['--name', 'cc', '--agent', 'claude', '--permission-mode', 'default', ...extra, '--cwd', work, ...env, '--', CLAUDE_BIN]);
  return { h, work, id: info.id, env };
}

/** A structured session's `list` entry: it has an `agent` part. */
type AgentSessionInfo = SessionInfo & { agent: NonNullable<SessionInfo['agent']> };

/** The session's `list --all --json` entry; throws when it is not listed or not an agent session. */
async function agentInfo(a: Agent): Promise<AgentSessionInfo> {
  const info = parseJson<SessionInfo[]>(await a.h.ccx(['list', '--all', '--json'])).find((s) => s.id === a.id);
  if (!info?.agent) throw new Error(`session ${a.id} is not listed as an agent session`);
  return info as AgentSessionInfo;
}

/** Waits until the session has a pending approval request; returns it. */
async function pendingApproval(a: Agent): Promise<ApprovalInfo> {
  return waitFor(async () => parseJson<ApprovalsResult>(await a.h.ccx(['approvals', 'cc', '--json'])).approvals[0], 90_000, 'an approval request');
}

test.serial('logs -f of a structured session prints an answer while the session still runs', async (t) => {
  const a = await startAgent();
  const follower = a.h.spawnCcx(['logs', '-f', 'cc']);
  let seen = '';
  follower.stdout!.on('data', (c: Buffer) => (seen += c.toString('utf8')));
  const r = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say streamed to the follower']);
  t.is(r.code, 0, r.stderr);
  // Output of an agent session wakes its followers as a PTY session's does, not only its end.
  await t.notThrowsAsync(waitFor(() => seen.includes('streamed to the follower'), 30_000, 'the answer at the follower'));
  t.is((await agentInfo(a)).status, 'running');
  await a.h.ccx(['cancel', 'cc']);
});

test.serial('two turns of a structured session: send --wait prints exactly the final answer of each', async (t) => {
  const a = await startAgent();
  const first = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say hello there']);
  t.is(first.code, 0, first.stderr);
  t.is(first.stdout, 'hello there\n');
  const second = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say second answer']);
  t.is(second.code, 0, second.stderr);
  t.is(second.stdout, 'second answer\n');
  const info = await agentInfo(a);
  t.is(info.status, 'running');
  t.is(info.activity, 'idle');
  t.is(info.agent.kind, 'claude');
  t.regex(String(info.agent.claudeSessionId), /^[0-9a-f-]{36}$/);
  t.is(info.agent.turns, 2);
  t.true(info.agent.costUsd > 0);
  t.regex((await a.h.ccx(['list'])).stdout, /\[claude [0-9a-f]{8} \$0\.\d{4}\] /);
  // The readable transcript, the raw messages, and the events.
  const logs = await a.h.ccx(['logs', 'cc']);
  t.regex(logs.stdout, /> say hello there\nhello there\n[\s\S]*> say second answer\nsecond answer\n/);
  const raw = (await a.h.ccx(['logs', 'cc', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.deepEqual(raw.filter((m) => m.type === 'result').map((m) => m.result), ['hello there', 'second answer']);
  const turnJson = parseJson(await a.h.ccx(['send', 'cc', '--wait', '--json', ...TURN_TIMEOUT, 'say third']));
  t.is(turnJson.wait.output, 'third');
  t.is(turnJson.wait.turn.result, 'third');
  t.is(turnJson.wait.turn.messages.at(-1).type, 'result');
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id);
  t.deepEqual(events.filter((e) => e.type === 'turn-completed').map((e) => e.result), ['hello there', 'second answer', 'third']);
  t.true(events.some((e) => e.type === 'agent-message' && e.kind === 'text' && e.text === 'hello there'));
  const screen = parseJson(await a.h.ccx(['screen', 'cc', '--json']));
  t.regex(screen.text, /third$/m);
  t.is((await a.h.ccx(['cancel', 'cc'])).code, 0);
  t.is((await agentInfo(a)).status, 'cancelled');
});

/** A slow turn, then a plain send and a send --wait while it runs. */
const sendsDuringATurn = once(async () => {
  const a = await startAgent();
  const words = Array.from({ length: 30 }, (_, i) => `s${i + 1}`).join(' ');
  // A plain send returns at once; the slow turn is still running when the next ones come.
  const slow = await a.h.ccx(['send', 'cc', `slow 3 ${words}`]);
  const plain = await a.h.ccx(['send', 'cc', 'say queued plain']);
  const mine = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say my own answer']);
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id && e.type === 'turn-completed');
  await a.h.ccx(['cancel', 'cc']);
  return { words, slow, plain, mine, events };
});

test.serial('messages sent while a turn runs wait their turn: one turn each, in the order sent', async (t) => {
  const { words, slow, plain, events } = await sendsDuringATurn();
  t.is(slow.code, 0, slow.stderr);
  t.is(plain.code, 0, plain.stderr);
  // One message, one turn, in the order sent.
  t.deepEqual(events.map((e) => e.result), [words, 'queued plain', 'my own answer']);
});

test.serial('each send --wait sent during a turn prints the answer to its own message', async (t) => {
  const { mine } = await sendsDuringATurn();
  t.is(mine.code, 0, mine.stderr);
  t.is(mine.stdout, 'my own answer\n');
});

/** A tool use Claude asks about, with a status-level webhook added: the request, the session while it asks, ccx approve, the turn's answer, a late deny, the events and the webhook delivery. */
const approvedToolUse = once(async () => {
  const a = await startAgent();
  // A status-level webhook: what someone is paged by when Claude waits for an answer.
  const hook = await startReceiver();
  receivers.push(hook);
  const hookAdded = (await a.h.ccx(['hooks', 'add', hook.url, '--level', 'status'])).code;
  const file = join(a.work, 'approved-file');
  const turn = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `run touch ${file}`]);
  const request = await pendingApproval(a);
  const waiting = await agentInfo(a);
  const ranBeforeAnswer = existsSync(file);
  const approved = await a.h.ccx(['approve', 'cc']);
  const answer = await turn;
  const ranAfter = existsSync(file);
  const late = await a.h.ccx(['deny', 'cc', request.requestId]);
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id);
  await waitFor(() => hook.accepted().find((q) => q.json.event.type === 'approval-request'), 30_000, 'the approval request at the status-level webhook');
  const delivered = hook.accepted().find((q) => q.json.event.type === 'approval-request')!.json.event;
  await a.h.ccx(['cancel', 'cc']);
  return { file, hookAdded, request, waiting, ranBeforeAnswer, approved, answer, ranAfter, late, events, delivered };
});

test.serial('a tool use Claude asks about is an approval request naming the tool, its input, the suggestions', async (t) => {
  const { file, request, events } = await approvedToolUse();
  t.is(request.tool, 'Bash');
  t.is(request.input.command, `touch ${file}`);
  t.true(Array.isArray(request.suggestions));
  t.true(events.some((e) => e.type === 'approval-request' && e.requestId === request.requestId && e.tool === 'Bash'));
});

test.serial('while Claude asks about a tool use, the session waits for a permission, the tool not run', async (t) => {
  const { waiting, ranBeforeAnswer } = await approvedToolUse();
  t.is(waiting.activity, 'waiting');
  t.is(waiting.waitingFor, 'permission');
  t.false(ranBeforeAnswer);
});

test.serial('a tool use Claude asks about runs once approved', async (t) => {
  const { request, approved, answer, ranAfter, events } = await approvedToolUse();
  t.is(approved.code, 0, approved.stderr);
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout, 'ran: (Bash completed with no output)\n');
  t.true(ranAfter);
  t.true(events.some((e) => e.type === 'approval-confirmed' && e.requestId === request.requestId && e.approved === true && /ccx approve/.test(String(e.by))));
});

test.serial('a second answer to an approval request says who answered first', async (t) => {
  const { late } = await approvedToolUse();
  t.not(late.code, 0);
  t.regex(late.stderr, /already approved by ccx approve \(pid \d+\)/);
});

test.serial('a status-level webhook delivers the approval request', async (t) => {
  const { file, hookAdded, request, delivered } = await approvedToolUse();
  t.is(hookAdded, 0);
  t.is(delivered.requestId, request.requestId);
  t.is(delivered.input.command, `touch ${file}`);
});

/** A tool use denied with the message "not in this repo", then an approve of nothing pending. */
const deniedToolUse = once(async () => {
  const a = await startAgent();
  const file = join(a.work, 'denied-file');
  const turn = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `run touch ${file}`]);
  const request = await pendingApproval(a);
  const denied = await a.h.ccx(['deny', 'cc', request.requestId, '--message', 'not in this repo']);
  const answer = await turn;
  const ran = existsSync(file);
  const again = await a.h.ccx(['approve', 'cc']);
  const pending = parseJson(await a.h.ccx(['approvals', '--json'])).approvals;
  await a.h.ccx(['cancel', 'cc']);
  return { denied, answer, ran, again, pending };
});

test.serial('a tool use denied is not run', async (t) => {
  const { denied, ran } = await deniedToolUse();
  t.is(denied.code, 0, denied.stderr);
  t.false(ran);
});

test.serial('Claude is told the message a tool use was denied with', async (t) => {
  const { answer } = await deniedToolUse();
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout, 'tool failed: not in this repo\n');
});

test.serial('an approve after the denial says nothing is pending, naming the denial', async (t) => {
  const { again, pending } = await deniedToolUse();
  t.not(again.code, 0);
  t.regex(again.stderr, /no pending approval request \(the last one, .+, was denied by ccx deny/);
  t.deepEqual(pending, []);
});

/** A tool use nobody answers under --approval-timeout 2s, then a late approve of it. */
const expiredToolUse = once(async () => {
  const a = await startAgent(['--approval-timeout', '2s']);
  const file = join(a.work, 'expired-file');
  const answer = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `run touch ${file}`]);
  const ran = existsSync(file);
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id);
  const request = events.find((e) => e.type === 'approval-request');
  const late = request ? await a.h.ccx(['approve', 'cc', String(request.requestId)]) : undefined;
  await a.h.ccx(['cancel', 'cc']);
  return { answer, ran, events, request, late };
});

test.serial('--approval-timeout denies an unanswered request', async (t) => {
  const { answer, ran } = await expiredToolUse();
  t.is(answer.code, 0, answer.stderr);
  t.regex(answer.stdout, /^tool failed: nobody answered the permission request in time/);
  t.false(ran);
});

test.serial('--approval-timeout records an unanswered request as expired', async (t) => {
  const { events, request } = await expiredToolUse();
  t.truthy(request);
  t.true(events.some((e) => e.type === 'approval-expired' && e.requestId === request!.requestId));
});

test.serial('a late answer to an expired request says the approval timeout denied it', async (t) => {
  const { late } = await expiredToolUse();
  t.not(late!.code, 0);
  t.regex(late!.stderr, /already denied by the approval timeout/);
});

/** A slow turn (100 words over 60 s) interrupted while it streams, then one more turn, then an interrupt while idle. */
const interruptedTurn = once(async () => {
  const a = await startAgent();
  const words = Array.from({ length: 100 }, (_, i) => `w${i + 1}`).join(' ');
  // 100 words over 60 s: the turn is still streaming when it is interrupted.
  const slow = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `slow 60 ${words}`]);
  await waitFor(async () => (await a.h.ccx(['logs', 'cc'])).stdout.includes('w1 '), 90_000, 'the slow answer to start');
  const activityBefore = (await agentInfo(a)).activity;
  const interrupted = await a.h.ccx(['interrupt', 'cc']);
  const cut = await slow;
  const status = (await agentInfo(a)).status;
  const next = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say after the interrupt']);
  // Idle: nothing to interrupt, and nothing is done.
  const idle = parseJson(await a.h.ccx(['interrupt', 'cc', '--json']));
  await a.h.ccx(['cancel', 'cc']);
  return { activityBefore, interrupted, cut, status, next, idle };
});

test.serial('interrupt aborts a turn under way', async (t) => {
  const { activityBefore, interrupted, cut } = await interruptedTurn();
  t.is(activityBefore, 'busy');
  t.is(interrupted.code, 0, interrupted.stderr);
  t.is(cut.code, 0, cut.stderr);
  t.false(cut.stdout.includes('w100'));
});

test.serial('a structured session stays running after its turn was interrupted', async (t) => {
  t.is((await interruptedTurn()).status, 'running');
});

test.serial('the turn after an interrupted one answers', async (t) => {
  const { next } = await interruptedTurn();
  t.is(next.code, 0, next.stderr);
  t.is(next.stdout, 'after the interrupt\n');
});

test.serial('interrupt of an idle structured session is skipped', async (t) => {
  t.is((await interruptedTurn()).idle.skipped, 'idle');
});

/** Two turns, kill -9 of the daemon, a send to the lost session, ccx resume, one more turn asking for the history. */
const lostAndResumed = once(async () => {
  const a = await startAgent();
  const firstTurn = (await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say first turn'])).stdout;
  const secondTurn = (await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say second turn'])).stdout;
  const before = await agentInfo(a);
  const daemon = a.h.daemonPid()!;
  process.kill(daemon, 'SIGKILL');
  await waitFor(() => {
    try {
      process.kill(daemon, 0);
      return false;
    } catch {
      return true;
    }
  }, 10_000, 'the daemon to die');
  const lost = await agentInfo(a);
  const stillLost = await a.h.ccx(['send', 'cc', 'say nobody hears this']);
  const resumed = await a.h.ccx(['resume', 'cc', '--json', ...a.env]);
  if (resumed.code === 0) a.h.track(parseJson(resumed).pid);
  const recall = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'history']);
  const after = await agentInfo(a);
  await a.h.ccx(['cancel', 'cc']);
  return { firstTurn, secondTurn, before, lost, stillLost, resumed, recall, after };
});

test.serial('after kill -9 of the daemon a structured session is lost, its conversation id kept', async (t) => {
  const { before, lost, stillLost } = await lostAndResumed();
  t.is(lost.status, 'lost');
  t.is(lost.agent.claudeSessionId, before.agent.claudeSessionId);
  t.not(stillLost.code, 0);
  t.regex(stillLost.stderr, /ccx resume/);
});

test.serial('resume of a lost structured session continues the same conversation', async (t) => {
  const { firstTurn, secondTurn, before, resumed, recall, after } = await lostAndResumed();
  t.is(firstTurn, 'first turn\n');
  t.is(secondTurn, 'second turn\n');
  t.is(resumed.code, 0, resumed.stderr);
  t.is(parseJson(resumed).status, 'running');
  t.is(recall.code, 0, recall.stderr);
  t.is(recall.stdout, 'history: say first turn | say second turn\n');
  t.is(after.agent.claudeSessionId, before.agent.claudeSessionId);
  t.is(after.agent.turns, 3);
});

test.serial('agent flags are checked before anything starts', async (t) => {
  const h = newHome();
  const noAgent = await h.ccx(['start', '--model', 'x', '--', 'cat']);
  t.not(noAgent.code, 0);
  t.regex(noAgent.stderr, /--model goes with --agent claude/);
  const badTimeout = await h.ccx(['start', '--agent', 'claude', '--approval-timeout', 'soon']);
  t.not(badTimeout.code, 0);
  t.regex(badTimeout.stderr, /--approval-timeout needs a duration/);
  const missing = await h.ccx(['start', '--agent', 'claude', '--', join(newDir(), 'no-such-claude')]);
  t.not(missing.code, 0);
  t.regex(missing.stderr, /E_SPAWN|not found|no such/i);
  // A PTY session has no conversation to resume.
  const cat = await startSession(h, ['--name', 'c', '--', 'cat']);
  const resume = await h.ccx(['resume', cat.id]);
  t.not(resume.code, 0);
  t.regex(resume.stderr, /not a structured agent session/);
  await h.ccx(['kill', 'c']);
});

/** The first fenced block under README's "### Structured mode": one command per line, a `# comment` after it. */
function structuredModeBlock(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Structured mode'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block.split('\n').filter((l) => l.trim()).map((l) => l.replace(/\s+#.*$/, ''));
}

test.serial("the README's structured-mode commands do what their comments say, with claude from PATH", async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  // `claude` on PATH is the pinned Claude Code; the shell's environment is what start and resume pass on.
  const bin = join(newDir(), 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'claude'), `#!/bin/sh\nexec '${CLAUDE_BIN}' "$@"\n`);
  chmodSync(join(bin, 'claude'), 0o755);
  const env = { ...h.env, ...claudeEnv(fakeApi(), claudeHome(newDir())), PATH: `${ccxOnPath(h)}:${bin}:${process.env.PATH}` };
  const lines = structuredModeBlock();
  t.deepEqual(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['ccx start', 'ccx send', 'ccx send', 'ccx wait', 'ccx approvals', 'ccx approve', 'ccx wait', 'ccx list', 'ccx cancel', 'ccx resume', 'ccx send']);
  const outputs: string[] = [];
  for (const line of lines) {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('sh', ['-c', line], { env, cwd: work, timeout: 150_000 }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })),
    );
    t.is(r.code, 0, `${line}: ${r.stderr}`);
    outputs.push(r.stdout);
    if (line.startsWith('ccx start') || line.startsWith('ccx resume')) h.track(parseJson(await h.ccx(['list', '--json']))[0]?.pid);
  }
  t.is(outputs[1], 'hello\n');
  t.regex(outputs[4]!, /Bash  \{"command":"touch notes.txt"/);
  t.true(existsSync(join(work, 'notes.txt')));
  t.regex(outputs[7]!, /\bidle\b/);
  t.is(outputs[10], 'resumed\n');
  await h.ccx(['cancel', 'cc']);
});

/** The fenced block after README's "Approvals from a script (cron)" line. */
function cronApprovalsBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('Approvals from a script (cron)'));
  return /```sh\n([\s\S]*?)```/.exec(section)![1]!;
}

/** Runs the README's cron approvals script once, as cron would: sh, no terminal, ccx on PATH. */
function runCronApprovals(a: Agent): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...a.h.env, PATH: `${ccxOnPath(a.h)}:${process.env.PATH}` };
  return new Promise((resolve) =>
    execFile('bash', ['-c', cronApprovalsBlock()], { env, cwd: a.work, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    ),
  );
}

/** The README's cron approvals script run twice: on a request to touch a file, then on one to run npm test. */
const cronApprovals = once(async () => {
  const a = await startAgent();
  // Anything but npm test: denied, and Claude is told why.
  const file = join(a.work, 'cron-file');
  const other = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `run touch ${file}`]);
  await pendingApproval(a);
  const denyRun = await runCronApprovals(a);
  const denied = await other;
  const ran = existsSync(file);
  // npm test: approved, so the tool runs (npm itself fails here: the work dir has no package.json).
  const npm = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'run npm test --silent']);
  const request = await pendingApproval(a);
  const approveRun = await runCronApprovals(a);
  const approved = await npm;
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id && e.type === 'approval-confirmed');
  const pending = parseJson(await a.h.ccx(['approvals', '--json'])).approvals;
  await a.h.ccx(['cancel', 'cc']);
  return { denyRun, denied, ran, request, approveRun, approved, events, pending };
});

test.serial("the README's cron approvals script denies any command but `npm test`, with its message", async (t) => {
  const { denyRun, denied, ran } = await cronApprovals();
  t.is(denyRun.code, 0, denyRun.stderr);
  t.is(denied.code, 0, denied.stderr);
  t.is(denied.stdout, 'tool failed: only npm test from cron\n');
  t.false(ran);
});

test.serial("the README's cron approvals script approves `npm test`", async (t) => {
  const { request, approveRun, approved, events, pending } = await cronApprovals();
  t.is(request.input.command, 'npm test --silent');
  t.is(approveRun.code, 0, approveRun.stderr);
  t.is(approved.code, 0, approved.stderr);
  t.notRegex(approved.stdout, /only npm test from cron/);
  t.deepEqual(events.map((e) => e.approved), [false, true]);
  t.deepEqual(pending, []);
});
