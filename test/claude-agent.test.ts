/**
 * Structured Claude Code sessions (`ccx start --agent claude`): the real
 * Claude Code on its stream-json control protocol, offline against the fake
 * Messages API (test/helpers/claude.ts). Nothing is faked but the model's
 * HTTP API.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ccxOnPath, eventsFromLog, homesFor, parseJson, ROOT, startSession, tempDirsFor, waitFor, type Home } from './helpers/ccx.js';
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

async function agentInfo(a: Agent): Promise<any> {
  return parseJson(await a.h.ccx(['list', '--all', '--json'])).find((s: any) => s.id === a.id);
}

/** Waits until the session has a pending approval request; returns it. */
async function pendingApproval(a: Agent): Promise<any> {
  return waitFor(async () => parseJson(await a.h.ccx(['approvals', 'cc', '--json'])).approvals[0], 90_000, 'an approval request');
}

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
  t.regex(info.agent.claudeSessionId, /^[0-9a-f-]{36}$/);
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

test.serial('messages sent while a turn runs wait their turn, and each send --wait prints the answer to its own message', async (t) => {
  const a = await startAgent();
  const words = Array.from({ length: 30 }, (_, i) => `s${i + 1}`).join(' ');
  // A plain send returns at once; the slow turn is still running when the next ones come.
  const slow = await a.h.ccx(['send', 'cc', `slow 3 ${words}`]);
  t.is(slow.code, 0, slow.stderr);
  const plain = await a.h.ccx(['send', 'cc', 'say queued plain']);
  t.is(plain.code, 0, plain.stderr);
  const mine = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say my own answer']);
  t.is(mine.code, 0, mine.stderr);
  t.is(mine.stdout, 'my own answer\n');
  // One message, one turn, in the order sent.
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id && e.type === 'turn-completed');
  t.deepEqual(events.map((e) => e.result), [words, 'queued plain', 'my own answer']);
  await a.h.ccx(['cancel', 'cc']);
});

test.serial('a tool use Claude asks about runs once approved, and a second answer says who answered first', async (t) => {
  const a = await startAgent();
  // A status-level webhook: what someone is paged by when Claude waits for an answer.
  const hook = await startReceiver();
  receivers.push(hook);
  t.is((await a.h.ccx(['hooks', 'add', hook.url, '--level', 'status'])).code, 0);
  const file = join(a.work, 'approved-file');
  const turn = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `run touch ${file}`]);
  const request = await pendingApproval(a);
  t.is(request.tool, 'Bash');
  t.is(request.input.command, `touch ${file}`);
  t.true(Array.isArray(request.suggestions));
  const waiting = await agentInfo(a);
  t.is(waiting.activity, 'waiting');
  t.is(waiting.waitingFor, 'permission');
  t.false(existsSync(file));
  const approved = await a.h.ccx(['approve', 'cc']);
  t.is(approved.code, 0, approved.stderr);
  const answer = await turn;
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout, 'ran: (Bash completed with no output)\n');
  t.true(existsSync(file));
  const late = await a.h.ccx(['deny', 'cc', request.requestId]);
  t.not(late.code, 0);
  t.regex(late.stderr, /already approved by ccx approve \(pid \d+\)/);
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id);
  t.true(events.some((e) => e.type === 'approval-request' && e.requestId === request.requestId && e.tool === 'Bash'));
  await waitFor(() => hook.accepted().find((q) => q.json.event.type === 'approval-request'), 30_000, 'the approval request at the status-level webhook');
  const delivered = hook.accepted().find((q) => q.json.event.type === 'approval-request')!.json.event;
  t.is(delivered.requestId, request.requestId);
  t.is(delivered.input.command, `touch ${file}`);
  t.true(events.some((e) => e.type === 'approval-confirmed' && e.requestId === request.requestId && e.approved === true && /ccx approve/.test(String(e.by))));
  await a.h.ccx(['cancel', 'cc']);
});

test.serial('a tool use denied with a message is not run, and Claude is told the message', async (t) => {
  const a = await startAgent();
  const file = join(a.work, 'denied-file');
  const turn = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `run touch ${file}`]);
  const request = await pendingApproval(a);
  const denied = await a.h.ccx(['deny', 'cc', request.requestId, '--message', 'not in this repo']);
  t.is(denied.code, 0, denied.stderr);
  const answer = await turn;
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout, 'tool failed: not in this repo\n');
  t.false(existsSync(file));
  const again = await a.h.ccx(['approve', 'cc']);
  t.not(again.code, 0);
  t.regex(again.stderr, /no pending approval request \(the last one, .+, was denied by ccx deny/);
  t.deepEqual(parseJson(await a.h.ccx(['approvals', '--json'])).approvals, []);
  await a.h.ccx(['cancel', 'cc']);
});

test.serial('--approval-timeout denies an unanswered request and records it as expired', async (t) => {
  const a = await startAgent(['--approval-timeout', '2s']);
  const file = join(a.work, 'expired-file');
  const answer = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `run touch ${file}`]);
  t.is(answer.code, 0, answer.stderr);
  t.regex(answer.stdout, /^tool failed: nobody answered the permission request in time/);
  t.false(existsSync(file));
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id);
  const request = events.find((e) => e.type === 'approval-request');
  t.truthy(request);
  t.true(events.some((e) => e.type === 'approval-expired' && e.requestId === request!.requestId));
  const late = await a.h.ccx(['approve', 'cc', String(request!.requestId)]);
  t.not(late.code, 0);
  t.regex(late.stderr, /already denied by the approval timeout/);
  await a.h.ccx(['cancel', 'cc']);
});

test.serial('interrupt aborts a turn under way; the session stays and the next turn answers', async (t) => {
  const a = await startAgent();
  const words = Array.from({ length: 100 }, (_, i) => `w${i + 1}`).join(' ');
  // 100 words over 60 s: the turn is still streaming when it is interrupted.
  const slow = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `slow 60 ${words}`]);
  await waitFor(async () => (await a.h.ccx(['logs', 'cc'])).stdout.includes('w1 '), 90_000, 'the slow answer to start');
  t.is((await agentInfo(a)).activity, 'busy');
  const interrupted = await a.h.ccx(['interrupt', 'cc']);
  t.is(interrupted.code, 0, interrupted.stderr);
  const cut = await slow;
  t.is(cut.code, 0, cut.stderr);
  t.false(cut.stdout.includes('w100'));
  t.is((await agentInfo(a)).status, 'running');
  const next = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say after the interrupt']);
  t.is(next.code, 0, next.stderr);
  t.is(next.stdout, 'after the interrupt\n');
  // Idle: nothing to interrupt, and nothing is done.
  const idle = parseJson(await a.h.ccx(['interrupt', 'cc', '--json']));
  t.is(idle.skipped, 'idle');
  await a.h.ccx(['cancel', 'cc']);
});

test.serial('after kill -9 of the daemon the session is lost, and resume continues the same conversation', async (t) => {
  const a = await startAgent();
  t.is((await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say first turn'])).stdout, 'first turn\n');
  t.is((await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'say second turn'])).stdout, 'second turn\n');
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
  t.is(lost.status, 'lost');
  t.is(lost.agent.claudeSessionId, before.agent.claudeSessionId);
  const stillLost = await a.h.ccx(['send', 'cc', 'say nobody hears this']);
  t.not(stillLost.code, 0);
  t.regex(stillLost.stderr, /ccx resume/);
  const resumed = await a.h.ccx(['resume', 'cc', '--json', ...a.env]);
  t.is(resumed.code, 0, resumed.stderr);
  a.h.track(parseJson(resumed).pid);
  t.is(parseJson(resumed).status, 'running');
  const recall = await a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'history']);
  t.is(recall.code, 0, recall.stderr);
  t.is(recall.stdout, 'history: say first turn | say second turn\n');
  const after = await agentInfo(a);
  t.is(after.agent.claudeSessionId, before.agent.claudeSessionId);
  t.is(after.agent.turns, 3);
  await a.h.ccx(['cancel', 'cc']);
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

test.serial("the README's cron approvals script approves `npm test` and denies any other command with its message", async (t) => {
  const a = await startAgent();
  // Anything but npm test: denied, and Claude is told why.
  const file = join(a.work, 'cron-file');
  const other = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, `run touch ${file}`]);
  await pendingApproval(a);
  const denyRun = await runCronApprovals(a);
  t.is(denyRun.code, 0, denyRun.stderr);
  const denied = await other;
  t.is(denied.code, 0, denied.stderr);
  t.is(denied.stdout, 'tool failed: only npm test from cron\n');
  t.false(existsSync(file));
  // npm test: approved, so the tool runs (npm itself fails here: the work dir has no package.json).
  const npm = a.h.ccx(['send', 'cc', '--wait', ...TURN_TIMEOUT, 'run npm test --silent']);
  const request = await pendingApproval(a);
  t.is(request.input.command, 'npm test --silent');
  const approveRun = await runCronApprovals(a);
  t.is(approveRun.code, 0, approveRun.stderr);
  const approved = await npm;
  t.is(approved.code, 0, approved.stderr);
  t.notRegex(approved.stdout, /only npm test from cron/);
  const events = eventsFromLog(a.h).filter((e) => e.sessionId === a.id && e.type === 'approval-confirmed');
  t.deepEqual(events.map((e) => e.approved), [false, true]);
  t.deepEqual(parseJson(await a.h.ccx(['approvals', '--json'])).approvals, []);
  await a.h.ccx(['cancel', 'cc']);
});
