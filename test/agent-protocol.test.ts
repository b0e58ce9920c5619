/**
 * Unit tests of packages/daemon/src/agent/approvals.ts (first answer wins,
 * timeouts), turn-ledger.ts (one message, one turn) and stream-json-client.ts (line framing and bad lines, against
 * a real child process that writes what Claude Code might).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { Approvals } from '../packages/daemon/dist/agent/approvals.js';
import { waitFor } from './helpers/ccx.js';
import { StreamJsonClient } from '../packages/daemon/dist/agent/stream-json-client.js';
import { StreamJsonBackend } from '../packages/daemon/dist/agent/stream-json-backend.js';
import { TurnLedger } from '../packages/daemon/dist/agent/turn-ledger.js';

function approvals(timeoutMs: number | null = null) {
  const replies: Array<[string, unknown]> = [];
  const events: string[] = [];
  const a = new Approvals({
    sessionId: 's1',
    now: () => new Date(0),
    timeoutMs,
    reply: (id, answer) => replies.push([id, answer]),
    onRequested: (info) => events.push(`requested ${info.requestId}`),
    onAnswered: (id, answer) => events.push(`${answer.approved ? 'approved' : 'denied'} ${id} by ${answer.by}`),
    onExpired: (id) => events.push(`expired ${id}`),
  });
  return { a, replies, events };
}

const request = (requestId: string) => ({ requestId, tool: 'Bash', input: { command: 'ls' }, suggestions: [] });

test('the only pending request is answered without its id', (t) => {
  const { a, events } = approvals();
  a.request(request('r1'));
  t.is(a.count, 1);
  t.is(a.answer(undefined, { approved: true, by: 'me' }), 'r1');
  t.deepEqual(events, ['requested r1', 'approved r1 by me']);
  t.is(a.count, 0);
});

test('an approval goes to Claude Code with the input asked for', (t) => {
  const { a, replies } = approvals();
  a.request(request('r1'));
  a.answer(undefined, { approved: true, by: 'me' });
  t.deepEqual(replies, [['r1', { behavior: 'allow', updatedInput: { command: 'ls' } }]]);
});

test('a second answer fails, naming the first answerer', (t) => {
  const { a, replies } = approvals();
  a.request(request('r1'));
  a.answer('r1', { approved: false, by: 'alice', message: 'no' });
  const late = t.throws(() => a.answer('r1', { approved: true, by: 'bob' }));
  t.regex(late!.message, /already denied by alice/);
  t.is((late as { code?: string }).code, 'E_NOT_FOUND');
  t.is(replies.length, 1);
  t.deepEqual(replies[0], ['r1', { behavior: 'deny', message: 'no' }]);
});

test('an answer to an unknown id fails as not found', (t) => {
  const { a } = approvals();
  a.request(request('r1'));
  t.throws(() => a.answer('nope', { approved: true, by: 'bob' }), { message: /no pending request nope/ });
});

/** Approvals with two pending requests, r1 and r2. */
function twoPending() {
  const parts = approvals();
  parts.a.request(request('r1'));
  parts.a.request(request('r2'));
  return parts;
}

test('with two pending, an answer must name which one it answers', (t) => {
  const { a } = twoPending();
  t.throws(() => a.answer(undefined, { approved: true, by: 'me' }), { message: /has 2 pending requests: r1, r2/ });
  a.answer('r2', { approved: true, by: 'me', input: { command: 'pwd' } });
  t.deepEqual(a.list().map((r) => r.requestId), ['r1']);
});

test('--input replaces the tool input', (t) => {
  const { a, replies } = twoPending();
  a.answer('r2', { approved: true, by: 'me', input: { command: 'pwd' } });
  t.deepEqual(replies, [['r2', { behavior: 'allow', updatedInput: { command: 'pwd' } }]]);
});

/** Approvals with a 50 ms timeout and one request left unanswered until it expired. */
async function expiredRequest() {
  const parts = approvals(50);
  parts.a.request(request('r1'));
  await waitFor(() => parts.events.length === 2, 10_000, 'the expiry');
  return parts;
}

test('an unanswered request is denied at the timeout', async (t) => {
  const { replies } = await expiredRequest();
  t.is((replies[0]![1] as { behavior: string }).behavior, 'deny');
});

test('an unanswered request is recorded as expired at the timeout', async (t) => {
  const { events } = await expiredRequest();
  t.deepEqual(events, ['requested r1', 'expired r1']);
});

test('answering an expired request says the approval timeout denied it', async (t) => {
  const { a } = await expiredRequest();
  t.throws(() => a.answer('r1', { approved: true, by: 'me' }), { message: /already denied by the approval timeout/ });
});

/**
 * A real process writes what a broken or hostile Claude Code might (bad
 * JSON, non-objects, an unknown control request), then a permission request
 * and one good message in two pieces. What the client made of it, and what
 * it wrote back (the child echoes its stdin to stderr).
 */
async function hostileStreamJson() {
  const script = `
    const w = (s) => process.stdout.write(s);
    w('not json\\n[1,2]\\n\\n{"type":"control_request","request_id":"x","request":{"subtype":"hook_callback"}}\\n');
    w('{"type":"control_request","request_id":"p1","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{"command":"ls"}}}\\n');
    w('{"type":"assis'); setTimeout(() => { w('tant","n":1}\\n'); process.stdin.pipe(process.stderr); }, 50);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'pipe' });
  const messages: unknown[] = [];
  const garbage: string[] = [];
  const permissions: string[] = [];
  let written = '';
  child.stderr.on('data', (d: Buffer) => (written += d.toString()));
  new StreamJsonClient(new StreamJsonBackend(child), { onMessage: (m) => messages.push(m), onPermission: (p) => permissions.push(`${p.requestId} ${p.tool}`), onGarbage: (what) => garbage.push(what) });
  // Until the good message is in and the error answer has come back through the child (a loaded machine starts node slowly).
  await waitFor(() => messages.length > 0 && /"request_id":"x"/.test(written), 30_000, 'the message and the echoed answer');
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
  return { messages, permissions, garbage, written };
}

test('stream-json lines split across reads, bad JSON, non-objects or an unknown control request never stop the messages', async (t) => {
  const { messages, permissions, garbage } = await hostileStreamJson();
  t.deepEqual(messages, [{ type: 'assistant', n: 1 }]);
  t.deepEqual(permissions, ['p1 Bash']);
  t.is(garbage.length, 2);
});

test('an unknown stream-json control request is answered with an error', async (t) => {
  const { written } = await hostileStreamJson();
  // The unknown control request was answered with an error, so Claude Code does not wait for it.
  t.regex(written, /"subtype":"error","request_id":"x"/);
});

/** A turn ledger given three messages at once, whose first two turns then ended; what each step returned. */
function threeMessagesTwoTurnsEnded() {
  const ledger = new TurnLedger<string>();
  const added = [ledger.add('first'), ledger.add('second'), ledger.add('third')];
  const second = ledger.turnEnd(2).done;
  const nextAfterFirst = ledger.ended('answer 1');
  const outstandingAfterFirst = ledger.outstanding;
  const nextAfterSecond = ledger.ended('answer 2');
  return { ledger, added, second, nextAfterFirst, outstandingAfterFirst, nextAfterSecond };
}

test('one message is one turn: messages sent during a turn wait for it', (t) => {
  const { added, nextAfterFirst, outstandingAfterFirst, nextAfterSecond } = threeMessagesTwoTurnsEnded();
  t.deepEqual(added[0], { turn: 1, now: true });
  t.deepEqual(added[1], { turn: 2, now: false });
  t.deepEqual(added[2], { turn: 3, now: false });
  t.is(nextAfterFirst, 'second');
  t.is(outstandingAfterFirst, 2);
  t.is(nextAfterSecond, 'third');
});

test('one message is one turn: each waiter gets the result of its own turn', async (t) => {
  const { ledger, second } = threeMessagesTwoTurnsEnded();
  t.is(await second, 'answer 2');
  // Asked for after its turn ended: still the right result.
  t.is(await ledger.turnEnd(1).done, 'answer 1');
});

test('one message is one turn: the waiter of an aborted turn gets no result', async (t) => {
  const { ledger } = threeMessagesTwoTurnsEnded();
  const third = ledger.turnEnd(3).done;
  t.is(ledger.abort(), 0);
  t.is(await third, undefined);
});
