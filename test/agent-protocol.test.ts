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

test('the only pending request is answered without its id; the answer goes to Claude Code with the input asked for', (t) => {
  const { a, replies, events } = approvals();
  a.request(request('r1'));
  t.is(a.count, 1);
  t.is(a.answer(undefined, { approved: true, by: 'me' }), 'r1');
  t.deepEqual(replies, [['r1', { behavior: 'allow', updatedInput: { command: 'ls' } }]]);
  t.deepEqual(events, ['requested r1', 'approved r1 by me']);
  t.is(a.count, 0);
});

test('a second answer fails and names the first answerer; an unknown id fails as not found', (t) => {
  const { a, replies } = approvals();
  a.request(request('r1'));
  a.answer('r1', { approved: false, by: 'alice', message: 'no' });
  const late = t.throws(() => a.answer('r1', { approved: true, by: 'bob' }));
  t.regex(late!.message, /already denied by alice/);
  t.is((late as { code?: string }).code, 'E_NOT_FOUND');
  t.throws(() => a.answer('nope', { approved: true, by: 'bob' }), { message: /no pending request nope/ });
  t.is(replies.length, 1);
  t.deepEqual(replies[0], ['r1', { behavior: 'deny', message: 'no' }]);
});

test('with two pending, an answer must name one; --input replaces the tool input', (t) => {
  const { a, replies } = approvals();
  a.request(request('r1'));
  a.request(request('r2'));
  t.throws(() => a.answer(undefined, { approved: true, by: 'me' }), { message: /has 2 pending requests: r1, r2/ });
  a.answer('r2', { approved: true, by: 'me', input: { command: 'pwd' } });
  t.deepEqual(replies, [['r2', { behavior: 'allow', updatedInput: { command: 'pwd' } }]]);
  t.deepEqual(a.list().map((r) => r.requestId), ['r1']);
});

test('an unanswered request is denied at the timeout and recorded as expired; answering it then says so', async (t) => {
  const { a, replies, events } = approvals(50);
  a.request(request('r1'));
  await waitFor(() => events.length === 2, 10_000, 'the expiry');
  t.deepEqual(events, ['requested r1', 'expired r1']);
  t.is((replies[0]![1] as { behavior: string }).behavior, 'deny');
  t.throws(() => a.answer('r1', { approved: true, by: 'me' }), { message: /already denied by the approval timeout/ });
});

test('stream-json lines split across reads, bad JSON, non-objects and an unknown control request never stop the messages', async (t) => {
  // A real process writes what a broken or hostile Claude Code might, then one good message in two pieces.
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
  t.deepEqual(messages, [{ type: 'assistant', n: 1 }]);
  t.deepEqual(permissions, ['p1 Bash']);
  t.is(garbage.length, 2);
  // The unknown control request was answered with an error, so Claude Code does not wait for it.
  t.regex(written, /"subtype":"error","request_id":"x"/);
});

test('one message is one turn: messages sent during a turn wait, and each waiter gets the result with its own number', async (t) => {
  const ledger = new TurnLedger<string>();
  t.deepEqual(ledger.add('first'), { turn: 1, now: true });
  t.deepEqual(ledger.add('second'), { turn: 2, now: false });
  t.deepEqual(ledger.add('third'), { turn: 3, now: false });
  const second = ledger.turnEnd(2).done;
  t.is(ledger.ended('answer 1'), 'second');
  t.is(ledger.outstanding, 2);
  t.is(ledger.ended('answer 2'), 'third');
  t.is(await second, 'answer 2');
  // Asked for after its turn ended: still the right result.
  t.is(await ledger.turnEnd(1).done, 'answer 1');
  const third = ledger.turnEnd(3).done;
  t.is(ledger.abort(), 0);
  t.is(await third, undefined);
});
