import test from 'ava';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import WebSocket from 'ws';
import type { ClientsResult } from '@ccx/shared';
import { eventsFromLog, homesFor, parseJson, startSession, tempDirsFor, waitFor, waitForOutput, type Home } from './helpers/ccx.js';
import { CLAUDE_BIN, claudeEnv, claudeHome, envArgs, fakeApiFor } from './helpers/claude.js';
import { http, openSse, startGateway, type Gateway } from './helpers/web-gateway.js';
import { OPENAPI_DOCUMENT, registeredRoutes } from '../packages/web/dist/index.js';

/**
 * Issue 15: `ccx web` over real HTTP — a real daemon, real bash sessions,
 * the gateway as a child process on a free port of 127.0.0.1.
 */
const home = homesFor(test);
const newDir = tempDirsFor(test, 'ccxwa-');
const fakeApi = fakeApiFor(test);
let h: Home;
let gw: Gateway;
const HEARTBEAT_MS = 300;

test.before(async () => {
  h = home();
  gw = await startGateway(h, { CCX_WEB_HEARTBEAT_MS: String(HEARTBEAT_MS) });
});
test.after.always(async () => {
  await gw?.stop();
});

async function startBash(name: string): Promise<string> {
  const r = await http(gw, 'POST', '/api/sessions', { body: { command: ['bash', '--norc', '--noprofile'], name } });
  if (r.status !== 201) throw new Error(`start failed: ${r.status} ${r.text}`);
  await waitForOutput(h, r.json.id, /[$#] $/m);
  return r.json.id as string;
}

interface TestSocket {
  ws: WebSocket;
  /** Everything received as binary (up to 1 MiB kept), as text. */
  text: () => string;
  /** The last 4 KiB received. */
  tail: () => string;
  received: () => number;
  messages: any[];
}

function wsConnect(path: string, headers: Record<string, string> = { origin: gw.origin }): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`, { headers: { authorization: `Bearer ${gw.token}`, ...headers } });
    let head = Buffer.alloc(0);
    let tail = Buffer.alloc(0);
    let received = 0;
    const messages: any[] = [];
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return void messages.push(JSON.parse(String(data)));
      const bytes = data as Buffer;
      received += bytes.length;
      if (head.length < 1024 * 1024) head = Buffer.concat([head, bytes]);
      tail = Buffer.concat([tail, bytes]).subarray(-4096);
    });
    ws.once('open', () => resolve({ ws, text: () => head.toString('utf8'), tail: () => tail.toString('utf8'), received: () => received, messages }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

test.serial('ccx web prints {url, port, token} with the token in the URL fragment', (t) => {
  t.true(gw.port > 0);
  t.is(gw.url, `http://127.0.0.1:${gw.port}/#token=${gw.token}`);
  t.regex(gw.token, /^[A-Za-z0-9_-]{43}$/);
});

test.serial('ccx web keeps its token in a 0600 file', (t) => {
  const mode = statSync(join(h.dir, 'state', 'web-token')).mode & 0o777;
  t.is(mode, 0o600);
});

test.serial('the API answers 401 without a token or with a wrong one', async (t) => {
  const none = await http(gw, 'GET', '/api/sessions', { token: null });
  t.is(none.status, 401);
  t.is(none.json.error.code, 'E_UNAUTHORIZED');
  t.is((await http(gw, 'GET', '/api/sessions', { token: 'x'.repeat(43) })).status, 401);
  t.is((await http(gw, 'GET', '/api/events', { token: null })).status, 401);
});

test.serial('a Host header that does not name the bound address is 403 (DNS rebinding), with a token or without', async (t) => {
  t.is((await http(gw, 'GET', '/api/sessions', { headers: { host: `evil.example:${gw.port}` } })).status, 403);
  t.is((await http(gw, 'GET', '/sessions', { headers: { host: `evil.example:${gw.port}` }, token: null })).status, 403);
  t.is((await http(gw, 'GET', '/api/sessions', { headers: { host: `127.0.0.1:${gw.port + 1}` } })).status, 403);
  t.is((await http(gw, 'GET', '/api/sessions', { headers: { host: `localhost:${gw.port}` } })).status, 200);
});

test.serial('a foreign Origin is 403 on a POST, on SSE, on the terminal WebSocket', async (t) => {
  const id = await startBash('origin');
  const post = await http(gw, 'POST', `/api/session/${id}/interrupt`, { body: {}, headers: { origin: 'http://evil.example' } });
  t.is(post.status, 403);
  t.is((await http(gw, 'POST', `/api/session/${id}/interrupt`, { body: {}, headers: { origin: 'null' } })).status, 403);
  const sse = await openSse(gw, '/api/events', { origin: 'http://evil.example' });
  t.is(sse.status, 403);
  sse.close();
  const refused = await t.throwsAsync(wsConnect(`/api/session/${id}/terminal`, { origin: 'http://evil.example' }));
  t.is((refused as any).status, 403);
});

test.serial('the own origin passes the Origin check', async (t) => {
  const id = await startBash('own-origin');
  t.is((await http(gw, 'POST', `/api/session/${id}/interrupt`, { body: {}, headers: { origin: gw.origin } })).status, 200);
});

test.serial('a body over 1 MiB is 413, with a Content-Length or chunked', async (t) => {
  const id = await startBash('bodies');
  const big = await http(gw, 'POST', `/api/session/${id}/prompt`, { body: JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 10) }) });
  t.is(big.status, 413);
  // Without a Content-Length (chunked), the limit is counted as the body arrives.
  const chunked = await http(gw, 'POST', `/api/session/${id}/prompt`, { body: JSON.stringify({ text: 'y'.repeat(2 * 1024 * 1024) }), headers: { 'transfer-encoding': 'chunked' } });
  t.is(chunked.status, 413);
  t.is(chunked.json.error.code, 'E_TOO_LARGE');
});

test.serial('malformed JSON is 400 with the parser message', async (t) => {
  const id = await startBash('badjson');
  const bad = await http(gw, 'POST', `/api/session/${id}/prompt`, { body: '{"text": "echo' });
  t.is(bad.status, 400);
  t.is(bad.json.error.code, 'E_BAD_JSON');
  t.regex(bad.json.error.message, /not valid JSON: .+/);
  t.is((await http(gw, 'POST', `/api/session/${id}/prompt`, { body: '[1,2]' })).status, 400);
});

test.serial('a malformed session id is 400 on every kind of route', async (t) => {
  for (const path of ['/api/session/bad%24id/status', '/api/session/..%2F..%2Fetc/screen', '/api/session/-x/events']) {
    const r = await http(gw, 'GET', path);
    t.is(r.status, 400, path);
    t.is(r.json.error.code, 'E_USAGE');
  }
  await t.throwsAsync(wsConnect('/api/session/bad%24id/terminal'), { message: 'HTTP 400' });
});

test.serial('an unknown session id is 404 on every kind of route', async (t) => {
  for (const path of ['/api/session/nosuchid/status', '/api/session/nosuchid/logs', '/api/session/nosuchid/events']) t.is((await http(gw, 'GET', path)).status, 404, path);
  t.is((await http(gw, 'POST', '/api/session/nosuchid/cancel', { body: {} })).status, 404);
  t.is((await http(gw, 'DELETE', '/api/session/nosuchid')).status, 404);
  await t.throwsAsync(wsConnect('/api/session/nosuchid/terminal'), { message: 'HTTP 404' });
});

test.serial('POST /api/login trades the token for an HttpOnly SameSite=Strict cookie that authenticates', async (t) => {
  t.is((await http(gw, 'POST', '/api/login', { token: null, body: { token: 'wrong' }, headers: { origin: gw.origin } })).status, 401);
  const login = await http(gw, 'POST', '/api/login', { token: null, body: { token: gw.token }, headers: { origin: gw.origin } });
  t.is(login.status, 204);
  const cookie = String(login.headers['set-cookie']);
  t.regex(cookie, /HttpOnly/);
  t.regex(cookie, /SameSite=Strict/);
  const pair = cookie.split(';')[0]!;
  t.is((await http(gw, 'GET', '/api/sessions', { token: null, headers: { cookie: pair } })).status, 200);
  t.is((await http(gw, 'GET', '/api/sessions', { token: null, headers: { cookie: `${pair.split('=')[0]}=forged` } })).status, 401);
});

let withPrompt: Promise<{ r: Awaited<ReturnType<typeof http>>; id: string }> | undefined;
/** The bash session withprompt, started by POST /api/sessions with the prompt `echo started-$((6*7))` (once, for the tests that read it), once its answer is out. */
function sessionWithPrompt(): Promise<{ r: Awaited<ReturnType<typeof http>>; id: string }> {
  withPrompt ??= (async () => {
    const r = await http(gw, 'POST', '/api/sessions', { body: { command: ['bash', '--norc', '--noprofile'], name: 'withprompt', prompt: 'echo started-$((6*7))' } });
    if (r.status === 201) await waitForOutput(h, r.json.id, 'started-42');
    return { r, id: r.json?.id as string };
  })();
  return withPrompt;
}

test.serial('POST /api/sessions with a prompt sends it once bash is ready', async (t) => {
  const { r, id } = await sessionWithPrompt();
  t.is(r.status, 201, r.text);
  t.truthy(r.json.promptSent);
  await waitForOutput(h, id, 'started-42');
});

test.serial('a session started with a prompt over the API shows it in list, status, screen, logs', async (t) => {
  const { id } = await sessionWithPrompt();
  const list = await http(gw, 'GET', '/api/sessions');
  t.true(list.json.some((s: any) => s.id === id && s.status === 'running'));
  const status = await http(gw, 'GET', `/api/session/withprompt/status`);
  t.is(status.json.id, id);
  const screen = await waitFor(async () => {
    const s = await http(gw, 'GET', `/api/session/${id}/screen`);
    return s.json.text.includes('started-42') ? s : undefined;
  });
  t.is(screen.status, 200);
  const logs = await http(gw, 'GET', `/api/session/${id}/logs`);
  t.regex(logs.json.text, /started-42/);
});

test.serial('GET logs?since=OFFSET reads from that offset', async (t) => {
  const { id } = await sessionWithPrompt();
  const logs = await http(gw, 'GET', `/api/session/${id}/logs`);
  const later = await http(gw, 'GET', `/api/session/${id}/logs?since=${logs.json.offset}`);
  t.is(later.json.from, logs.json.offset);
});

test.serial('GET logs?since= that is not an offset is 400', async (t) => {
  const { id } = await sessionWithPrompt();
  t.is((await http(gw, 'GET', `/api/session/${id}/logs?since=abc`)).status, 400);
});

test.serial('POST /api/sessions with a command that is not an argv array is 400', async (t) => {
  t.is((await http(gw, 'POST', '/api/sessions', { body: { command: 'bash' } })).status, 400);
});

test.serial('POST prompt with wait returns the answer', async (t) => {
  const id = await startBash('answer');
  const r = await http(gw, 'POST', `/api/session/${id}/prompt`, { body: { text: 'echo answer-$((20+22))', wait: { until: 'answer-42', timeoutMs: 20_000 } } });
  t.is(r.status, 200, r.text);
  t.true(r.json.wait.met);
  t.is(r.json.wait.match.text, 'answer-42');
  t.is((await http(gw, 'POST', `/api/session/${id}/prompt`, { body: {} })).status, 400);
});

test.serial('interrupt reaches the program, cancel ends it as cancelled with its log kept, DELETE removes it', async (t) => {
  const id = await startBash('abortme');
  await http(gw, 'POST', `/api/session/${id}/prompt`, { body: { text: 'echo before-abort; sleep 300' } });
  await waitForOutput(h, id, /before-abort\r?\n/);
  t.is((await http(gw, 'POST', `/api/session/${id}/interrupt`, { body: {} })).status, 200);
  // Only an interrupted sleep lets bash run the next command.
  const after = await http(gw, 'POST', `/api/session/${id}/prompt`, { body: { text: 'echo after-$((3*3))', wait: { until: '^after-9', timeoutMs: 30_000 } } });
  t.true(after.json.wait.met, after.text);
  await http(gw, 'POST', `/api/session/${id}/prompt`, { body: { text: 'sleep 300' } });
  const cancel = await http(gw, 'POST', `/api/session/${id}/cancel`, { body: { graceMs: 500 } });
  t.is(cancel.status, 200, cancel.text);
  t.is(cancel.json.session.status, 'cancelled');
  const status = await http(gw, 'GET', `/api/session/${id}/status`);
  t.is(status.json.status, 'cancelled');
  const logs = await http(gw, 'GET', `/api/session/${id}/logs`);
  t.regex(logs.json.text, /before-abort/);
  t.is(logs.json.status, 'cancelled');
  t.is((await http(gw, 'POST', `/api/session/${id}/cancel`, { body: {} })).json.alreadyEnded, true);
  const removed = await http(gw, 'DELETE', `/api/session/${id}`);
  t.deepEqual(removed.json.removed, [id]);
  t.is((await http(gw, 'GET', `/api/session/${id}/status`)).status, 404);
});

test.serial('SSE wire format: the id of an event is its seq, retry is 2000 ms, heartbeats are comments', async (t) => {
  const id = await startBash('sse-format');
  const logged = () => eventsFromLog(h).filter((e) => e.sessionId === id && e.type !== 'session-output').map((e) => e.seq);
  const first = await openSse(gw, `/api/session/${id}/events`);
  t.is(first.status, 200);
  await http(gw, 'POST', `/api/session/${id}/prompt`, { body: { text: 'echo format', wait: { until: '^format', timeoutMs: 20_000 } } });
  await first.until((s) => s.events.length > 0 && Number(s.events[s.events.length - 1]!.id) >= Math.max(...logged()), 30_000, 'the stream to catch up');
  await first.until((s) => s.comments.includes('heartbeat'), 10_000, 'a heartbeat comment');
  t.is(first.retry, 2000);
  for (const e of first.events) t.is(e.id, String(JSON.parse(e.data).seq));
  first.close();
});

test.serial('SSE: every event comes once, in order, resumed by Last-Event-ID, joining the shared stream or live', async (t) => {
  const id = await startBash('sse');
  const logged = () => eventsFromLog(h).filter((e) => e.sessionId === id && e.type !== 'session-output').map((e) => e.seq);
  const turn = (text: string) => http(gw, 'POST', `/api/session/${id}/prompt`, { body: { text: `echo ${text}`, wait: { until: `^${text}`, timeoutMs: 20_000 } } });
  // A live client (the gateway's shared stream) stays connected throughout.
  const live = await openSse(gw, `/api/session/${id}/events?since=now`);
  const liveFrom = Math.max(...logged());
  const first = await openSse(gw, `/api/session/${id}/events`);
  await turn('before-gap');
  await first.until((s) => s.events.length > 0 && Number(s.events[s.events.length - 1]!.id) >= Math.max(...logged()), 30_000, 'the first stream to catch up');
  first.close();
  const lastSeen = first.events[first.events.length - 1]!.id!;
  const seenFirst = first.events.map((e) => Number(e.id));
  // Events happen while nobody listens on this stream.
  for (let i = 0; i < 3; i++) await turn(`gap-${i}`);
  // Behind the shared stream: this one reads the daemon's log from its seq.
  const resumed = await openSse(gw, `/api/session/${id}/events`, { 'last-event-id': lastSeen });
  await resumed.until((s) => s.events.length > 0 && Number(s.events[s.events.length - 1]!.id) >= Math.max(...logged()), 30_000, 'the resumed stream to catch up with the log');
  resumed.close();
  const seenResumed = resumed.events.map((e) => Number(e.id));
  t.true(seenResumed.every((seq) => seq > Number(lastSeen)), 'nothing twice');
  t.deepEqual([...seenFirst, ...seenResumed], logged().filter((seq) => seq <= Math.max(...seenResumed)), 'nothing missed, in order');
  t.true(seenResumed.filter((seq) => eventsFromLog(h).find((e) => e.seq === seq)?.type === 'input-sent').length >= 3);
  // Caught up: this one joins the shared stream and gets exactly what comes after its seq.
  const upToDate = String(Math.max(...logged()));
  const joined = await openSse(gw, `/api/session/${id}/events`, { 'last-event-id': upToDate });
  await turn('after-join');
  await joined.until((s) => s.events.length > 0 && Number(s.events[s.events.length - 1]!.id) >= Math.max(...logged()), 30_000, 'the joined stream to get the new events');
  await joined.until((s) => s.comments.includes('heartbeat'), 10_000, 'a heartbeat on the shared stream');
  joined.close();
  t.deepEqual(joined.events.map((e) => Number(e.id)), logged().filter((seq) => seq > Number(upToDate)));
  await live.until((s) => s.events.length > 0 && Number(s.events[s.events.length - 1]!.id) >= Math.max(...logged()), 30_000, 'the live stream to catch up');
  live.close();
  t.deepEqual(live.events.map((e) => Number(e.id)), logged().filter((seq) => seq > liveFrom), 'the shared stream: every event once, in order');
});

test.serial('SSE: a Last-Event-ID that is not a seq is 400', async (t) => {
  t.is((await http(gw, 'GET', `/api/events`, { headers: { 'last-event-id': 'abc' } })).status, 400);
});

/**
 * A bash session `name` that printed replay-me; a read-only terminal socket
 * (once it has the replay) that types READONLY-LEAK, then a write=1 socket
 * that types a command (seen by both) and resizes the session.
 */
async function terminalSockets(name: string) {
  const id = await startBash(name);
  await http(gw, 'POST', `/api/session/${id}/prompt`, { body: { text: 'echo replay-me', wait: { until: '^replay-me', timeoutMs: 20_000 } } });
  const reader = await wsConnect(`/api/session/${id}/terminal`);
  await waitFor(() => reader.text().includes('replay-me'), 20_000, 'the screen replay');
  const firstMessage = reader.messages[0]?.type;
  // Read-only: these keystrokes must never reach bash.
  reader.ws.send(Buffer.from('echo READONLY-LEAK\r'));
  const writer = await wsConnect(`/api/session/${id}/terminal?write=1&cols=100&rows=30`);
  writer.ws.send(Buffer.from('echo typed-$((1+1))\r'));
  await waitFor(() => reader.tail().includes('typed-2') && writer.tail().includes('typed-2'), 20_000, 'the typed command echoed to both sockets');
  writer.ws.send(JSON.stringify({ type: 'resize', cols: 90, rows: 20 }));
  await waitFor(async () => (await http(gw, 'GET', `/api/session/${id}/status`)).json.cols === 90, 20_000, 'the resize');
  reader.ws.close();
  writer.ws.close();
  return { id, firstMessage };
}

test.serial('the terminal WebSocket replays the screen before the live output', async (t) => {
  const { firstMessage } = await terminalSockets('term');
  t.is(firstMessage, 'start');
});

test.serial('keystrokes on the terminal WebSocket count only with write=1', async (t) => {
  const { id } = await terminalSockets('term-write');
  const logs = await http(gw, 'GET', `/api/session/${id}/logs`);
  t.notRegex(logs.json.text, /READONLY-LEAK/);
});

test.serial('every route the server registers is in /api/openapi.json', async (t) => {
  const served = await http(gw, 'GET', '/api/openapi.json', { token: null });
  t.is(served.status, 200);
  t.is(served.json.openapi, '3.1.0');
  t.deepEqual(served.json, JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
  const routes = registeredRoutes();
  t.true(routes.length >= 16);
  for (const route of routes) {
    const path = route.path.replace(/:([a-z]+)/g, '{$1}');
    t.truthy((served.json.paths[path] ?? {})[route.method.toLowerCase()], `${route.method} ${route.path} is documented`);
  }
});

test.serial("GET messages of a structured agent session is its conversation (user message, tool call, tool result, answer)", async (t) => {
  // The real Claude Code on stream-json, offline against the fake Messages API, asking before tools.
  const work = mkdtempSync(join(newDir(), 'w-'));
  const agent = await startSession(h, ['--name', 'webagent', '--agent', 'claude', '--permission-mode', 'default', '--cwd', work, ...envArgs(claudeEnv(fakeApi(), claudeHome(newDir()))), '--', CLAUDE_BIN]);
  const file = join(work, 'from-api');
  const sent = await http(gw, 'POST', `/api/session/${agent.id}/prompt`, { body: { text: `run touch ${file}` } });
  t.is(sent.status, 200, sent.text);
  const pending = await waitFor(async () => (await http(gw, 'GET', `/api/approvals?session=${agent.id}`)).json[0], 120_000, 'the approval request');
  // One request, listed once: as the agent's, not also as a terminal permission dialog.
  t.deepEqual((await http(gw, 'GET', `/api/approvals?session=${agent.id}`)).json.map((a: any) => [a.kind, a.tool]), [['agent-tool', 'Bash']]);
  const answered = await http(gw, 'POST', `/api/session/${agent.id}/approvals/${pending.request}`, { body: { approved: true } });
  t.is(answered.status, 200, answered.text);
  const done = await waitFor(async () => {
    const r = await http(gw, 'GET', `/api/session/${agent.id}/messages`);
    return r.json?.conversation?.some((e: any) => e.kind === 'result') ? r : undefined;
  }, 120_000, 'the turn result in the conversation');
  t.is(done.status, 200);
  t.is(done.json.session, agent.id);
  const kinds = done.json.conversation.map((e: any) => e.kind);
  t.deepEqual(kinds, ['user', 'tool-use', 'tool-result', 'text', 'result']);
  const [user, use, result, text] = done.json.conversation;
  t.is(user.text, `run touch ${file}`);
  t.is(use.tool, 'Bash');
  t.is(use.input.command, `touch ${file}`);
  t.is(result.toolUseId, use.toolUseId);
  t.false(result.isError);
  t.is(text.text, 'ran: (Bash completed with no output)');
  t.true(done.json.messages.length >= kinds.length);
  const tail = await http(gw, 'GET', `/api/session/${agent.id}/messages?tail=1`);
  t.is(tail.json.messages.length, 1);
  t.is((await http(gw, 'GET', `/api/session/${agent.id}/messages?tail=x`)).status, 400);
  await h.ccx(['cancel', agent.id]);
});

test.serial("GET messages of a terminal session is 400", async (t) => {
  const bash = await startBash('nomessages');
  const notAgent = await http(gw, 'GET', `/api/session/${bash}/messages`);
  t.is(notAgent.status, 400);
  t.regex(notAgent.json.error.message, /not a structured agent session/);
});

test.serial("GET messages of an unknown session is 404", async (t) => {
  t.is((await http(gw, 'GET', '/api/session/nosuchsession/messages')).status, 404);
});

test.serial('approvals: a shell has none pending', async (t) => {
  const id = await startBash('noapprovals');
  const all = await http(gw, 'GET', '/api/approvals');
  t.is(all.status, 200);
  t.deepEqual(all.json.filter((a: any) => a.session === id), []);
});

test.serial('approvals: an answer to an unknown request is 404', async (t) => {
  const id = await startBash('noapprovals-unknown');
  t.is((await http(gw, 'POST', `/api/session/${id}/approvals/nosuch`, { body: { approved: true } })).status, 404);
});

test.serial('approvals: answering the permission dialog of a shell that shows none fails', async (t) => {
  const id = await startBash('noapprovals-dialog');
  const notAsking = await http(gw, 'POST', `/api/session/${id}/approvals/permission`, { body: { approved: true } });
  t.true(notAsking.status >= 400, notAsking.text);
});

test.serial('approvals: an answer whose approved is not a boolean is 400', async (t) => {
  const id = await startBash('noapprovals-bad');
  t.is((await http(gw, 'POST', `/api/session/${id}/approvals/permission`, { body: { approved: 'yes' } })).status, 400);
});

test.serial('ccx web --rotate-token: a running gateway refuses the old token at once', async (t) => {
  const h2 = home();
  const a = await startGateway(h2);
  t.is((await http(a, 'GET', '/api/sessions')).status, 200);
  const b = await startGateway(h2, {}, ['--rotate-token']);
  t.not(b.token, a.token);
  t.is((await http(a, 'GET', '/api/sessions')).status, 401);
  t.is((await http(a, 'GET', '/api/sessions', { token: b.token })).status, 200);
  await b.stop();
  await a.stop();
  t.is(a.child.exitCode, 0);
});

test.serial('a terminal socket that never reads only pauses its own stream: the program, another socket carry on, the gateway buffers nothing for it', async (t) => {
  const id = await startBash('flood');
  // A raw WebSocket handshake, then never a byte read: the kernel buffers fill and stay full.
  const stalled = connect({ host: '127.0.0.1', port: gw.port });
  await new Promise((resolve) => stalled.once('connect', resolve));
  stalled.write(
    [`GET /api/session/${id}/terminal HTTP/1.1`, `Host: ${gw.host}`, `Origin: ${gw.origin}`, `Authorization: Bearer ${gw.token}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', '', ''].join('\r\n'),
  );
  stalled.pause();
  const watcher = await wsConnect(`/api/session/${id}/terminal`);
  // 32 MB of output, then a marker that bash prints only once the flood is written.
  await http(gw, 'POST', `/api/session/${id}/prompt`, { body: { text: "head -c 32000000 /dev/zero | tr '\\0' x | fold -w 200; echo FLOOD-$((40+2))" } });
  // The program is not held back: its output log gets the whole flood and the marker.
  await waitFor(
    async () => {
      const status = (await http(gw, 'GET', `/api/session/${id}/status`)).json;
      if (status.outputBytes < 32_000_000) return false;
      return /FLOOD-42/.test((await http(gw, 'GET', `/api/session/${id}/logs?since=${status.outputBytes - 300}`)).json.text);
    },
    240_000,
    'the program to write the flood and the marker',
  );
  await waitFor(() => watcher.received() > 32_000_000 && watcher.tail().includes('FLOOD-42'), 240_000, 'the other socket to get the whole flood and the marker');
  // The stalled socket's stream was paused, not buffered: the gateway stopped reading it, so the
  // daemon handed that client only a little of the flood and keeps the rest in the log. (An RSS
  // bound was tried first: garbage of the other socket's 32 MB made it grow as much as buffering.)
  const status = (await http(gw, 'GET', `/api/session/${id}/status`)).json;
  const clients = parseJson<ClientsResult>(await h.ccx(['clients', id, '--json'])).clients;
  t.is(clients.length, 2);
  const stalledSent = Math.min(...clients.map((c) => c.sentOffset));
  t.true(status.outputBytes - stalledSent > 16_000_000, `the stalled socket was handed ${stalledSent} of ${status.outputBytes} bytes`);
  t.true(Math.max(...clients.map((c) => c.sentOffset)) >= status.outputBytes - 300, 'the reading socket was handed all of it');
  stalled.destroy();
  watcher.ws.close();
});

test.serial('--bind to a non-loopback address this machine lacks: a warning on stderr, a clear error, exit 2', async (t) => {
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: the listen fails, nothing is ever exposed.
  const r = await h.ccx(['web', '--bind', '192.0.2.1', '--port', '0']);
  t.is(r.code, 2);
  t.regex(r.stderr, /warning: serving on 192\.0\.2\.1/);
  t.regex(r.stderr, /cannot listen on 192\.0\.2\.1: it is not an address of this machine/);
  t.regex(r.stderr, /hint: use --bind 127\.0\.0\.1/);
  t.is(r.stdout, '');
});
