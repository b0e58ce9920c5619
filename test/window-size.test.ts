/**
 * Several people on one session: the window-size policy (tmux's option of
 * that name), `ccx resize`, `ccx clients`, `ccx detach` and `attach -d`.
 * Every attach client is the real CLI in a PTY of its own (node-pty), so
 * sizes come from real terminals and `stty size` in the session's shell
 * shows what the program was given.
 */
import test from 'ava';
import type { ClientsResult, SessionInfo } from '@ccx/shared';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import type { WindowSizePolicy } from '@ccx/shared';
import { AttachedClients } from '../packages/daemon/dist/session/attached-clients.js';
import { CCX_BIN, homesFor, parseJson, startSession, waitFor, type Home } from './helpers/ccx.js';
import { ptysFor } from './helpers/terminals.js';

const home = homesFor(test);
const ptys = ptysFor(test);

const BASH = ['--env', 'PS1=$ ', '--', 'bash', '--norc', '--noprofile'];
const DETACH_KEY = '\x1c';

interface Client {
  p: pty.IPty;
  output: () => string;
  exit: Promise<number>;
}

/** `ccx attach TARGET` in a real PTY of the given size. */
function attach(h: Home, target: string, cols: number, rows: number, args: string[] = []): Client {
  const p = pty.spawn(process.execPath, [CCX_BIN, 'attach', target, ...args], { cols, rows, env: h.env as Record<string, string>, name: 'xterm-256color' });
  ptys.push(p);
  h.track(p.pid);
  let out = '';
  p.onData((d) => (out += d));
  const exit = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
  return { p, output: () => out, exit };
}

async function session(h: Home, id: string): Promise<SessionInfo> {
  return parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.id === id)!;
}

async function size(h: Home, id: string): Promise<string> {
  const s = await session(h, id);
  return `${s.cols}x${s.rows}`;
}

async function clients(h: Home, id: string): Promise<ClientsResult> {
  const r = await h.ccx(['clients', id, '--json']);
  if (r.code !== 0) throw new Error(`clients failed (${r.code}): ${r.stderr}`);
  return parseJson(r);
}

const waitSize = (h: Home, id: string, want: string, what: string): Promise<unknown> => waitFor(async () => (await size(h, id)) === want, 30_000, what);
const waitClients = (h: Home, id: string, n: number): Promise<unknown> => waitFor(async () => (await clients(h, id)).clients.length === n, 30_000, `${n} attached clients`);

/**
 * Types `stty size` in a client and waits for the answer the program gives:
 * keystrokes travel on the same connection after any resize from that client,
 * so once it answers, the daemon has handled everything the client sent before.
 */
async function sttySize(c: Client, marker: string): Promise<string> {
  c.p.write(`echo ${marker} $(stty size)\r`);
  const found = await waitFor(() => new RegExp(`${marker} (\\d+) (\\d+)`).exec(c.output().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')), 30_000, `stty size from ${marker}`);
  return `${found[2]}x${found[1]}`;
}

/** A window that records its resizes, under a policy the test can change. */
function fakeWindow(policy: WindowSizePolicy, cols = 80, rows = 24) {
  const win = {
    cols,
    rows,
    resizes: [] as string[],
    size: () => ({ cols: win.cols, rows: win.rows }),
    policy: () => policy,
    resize(c: number, r: number) {
      win.cols = c;
      win.rows = r;
      win.resizes.push(`${c}x${r}`);
    },
  };
  return win;
}

/**
 * Policy latest on a fake window: a 100x30 client, then a 60x15 one; the
 * first types, then leaves; then a read-only 200x50 client and one without
 * a size attach. The window's size after each step.
 */
function latestPolicyRun() {
  const latest = fakeWindow('latest');
  const l = new AttachedClients(latest, () => new Date());
  const sized = (): string => `${latest.cols}x${latest.rows}`;
  const a = l.add({ readOnly: false, cols: 100, rows: 30, detach: () => {} });
  l.add({ readOnly: false, cols: 60, rows: 15, detach: () => {} });
  const resizesOnAttach = [...latest.resizes];
  l.input(a);
  const afterTyping = sized();
  l.remove(a);
  const afterLeave = sized();
  l.add({ readOnly: true, cols: 200, rows: 50, detach: () => {} });
  l.add({ readOnly: false, detach: () => {} });
  return { resizesOnAttach, afterTyping, afterLeave, afterUncounted: sized(), numbers: l.list().map((c) => c.client) };
}

test('policy latest (unit): the window follows the last active client', (t) => {
  const run = latestPolicyRun();
  t.deepEqual(run.resizesOnAttach, ['100x30', '60x15']);
  t.is(run.afterTyping, '100x30', 'typing makes a client the active one');
});

test('policy latest (unit): when the active client leaves, the window falls back on the most recently active one left', (t) => {
  t.is(latestPolicyRun().afterLeave, '60x15', 'the most recently active client left takes over');
});

test('policy latest (unit): read-only or unsized clients never count', (t) => {
  t.is(latestPolicyRun().afterUncounted, '60x15', 'read-only and sizeless clients do not resize');
});

test('client numbers are never reused (unit)', (t) => {
  t.deepEqual(latestPolicyRun().numbers, [2, 3, 4], 'numbers are never reused');
});

/** The window size under `policy` with a 100x15 and a 60x40 client, after the first one reports a resize. */
function sizeUnderPolicy(policy: WindowSizePolicy): string {
  const win = fakeWindow(policy);
  const c = new AttachedClients(win, () => new Date());
  c.add({ readOnly: false, cols: 100, rows: 15, detach: () => {} });
  c.add({ readOnly: false, cols: 60, rows: 40, detach: () => {} });
  const [first] = c.all();
  c.resized(first!, 100, 15);
  return `${win.cols}x${win.rows}`;
}

test('policy smallest (unit): the window takes the smallest of each dimension', (t) => {
  t.is(sizeUnderPolicy('smallest'), '60x15', 'smallest');
});

test('policy largest (unit): the window takes the largest of each dimension', (t) => {
  t.is(sizeUnderPolicy('largest'), '100x40', 'largest');
});

test('policy manual (unit): clients never size the window', (t) => {
  t.is(sizeUnderPolicy('manual'), '80x24', 'manual');
});

test('detachAll (unit) detaches every client but the one kept', (t) => {
  const now = () => new Date();
  const detached: number[] = [];
  const d = new AttachedClients(fakeWindow('latest'), now);
  const keep = d.add({ readOnly: false, cols: 80, rows: 24, detach: () => detached.push(1) });
  d.add({ readOnly: false, cols: 80, rows: 24, detach: () => detached.push(2) });
  d.add({ readOnly: true, cols: 80, rows: 24, detach: () => detached.push(3) });
  t.deepEqual(d.detachAll(keep), [2, 3]);
  t.deepEqual(detached, [2, 3]);
});

/** A window-size largest session with a 100x30 client attached, then a 60x15 one. */
async function largestWithTwoClients() {
  const h = home();
  const s = await startSession(h, ['--window-size', 'largest', '--cols', '80', '--rows', '24', ...BASH]);
  const big = attach(h, s.id, 100, 30);
  await waitSize(h, s.id, '100x30', 'the first client to size the window');
  const small = attach(h, s.id, 60, 15);
  await waitClients(h, s.id, 2);
  return { h, s, big, small };
}

test('window-size largest: a 60x15 client attaching does not shrink the session for the 100x30 one', async (t) => {
  const { h, s, small } = await largestWithTwoClients();
  t.is(s.windowSize, 'largest');
  t.is(await sttySize(small, 'small-typed'), '100x30', 'typing in the small client does not shrink the program');
  t.is(await size(h, s.id), '100x30');
});

test('window-size largest: when the large client leaves, the window takes the small size', async (t) => {
  const { h, s, big, small } = await largestWithTwoClients();
  big.p.write(DETACH_KEY);
  t.is(await big.exit, 0);
  await waitSize(h, s.id, '60x15', 'the window to take the remaining client size');
  t.is(await sttySize(small, 'after-leave'), '60x15');
});

/** A window-size smallest session with a 100x30 client, then a 60x40 one: the window is 60x30. */
async function smallestWithTwoClients() {
  const h = home();
  const s = await startSession(h, ['--window-size', 'smallest', '--cols', '80', '--rows', '24', ...BASH]);
  const a = attach(h, s.id, 100, 30);
  await waitSize(h, s.id, '100x30', 'the first client size');
  const b = attach(h, s.id, 60, 40);
  await waitSize(h, s.id, '60x30', 'the smallest width and height of both');
  return { h, s, a, b };
}

test('window-size smallest: the window takes the smallest of each dimension over the clients that type', async (t) => {
  const { h, s, b } = await smallestWithTwoClients();
  b.p.write(DETACH_KEY);
  t.is(await b.exit, 0);
  await waitSize(h, s.id, '100x30', 'the size of the client left that types');
});

test('window-size smallest: a read-only viewer does not count', async (t) => {
  const { h, s, a } = await smallestWithTwoClients();
  const viewer = attach(h, s.id, 40, 10, ['--read-only']);
  await waitClients(h, s.id, 3);
  t.is(await sttySize(a, 'with-viewer'), '60x30', 'the read-only 40x10 viewer leaves the size alone');
  viewer.p.write(DETACH_KEY);
  t.is(await viewer.exit, 0);
});

/** A window-size manual 80x24 session with a 100x30 client attached. */
async function manualWithClient() {
  const h = home();
  const s = await startSession(h, ['--window-size', 'manual', '--cols', '80', '--rows', '24', ...BASH]);
  const a = attach(h, s.id, 100, 30);
  await waitClients(h, s.id, 1);
  return { h, s, a };
}

test('window-size manual: only ccx resize sets the size, never a client attaching, typing or resizing', async (t) => {
  const { h, s, a } = await manualWithClient();
  t.is(await sttySize(a, 'attached'), '80x24', 'attaching does not resize a manual window');

  t.is((await h.ccx(['resize', s.id, '70x20'])).code, 0);
  t.is(await size(h, s.id), '70x20');
  a.p.resize(120, 35);
  await waitFor(async () => (await clients(h, s.id)).clients[0]?.cols === 120, 30_000, 'the daemon to have the client new size');
  t.is(await size(h, s.id), '70x20', 'the client resize changed nothing');
  t.is(await sttySize(a, 'client-resized'), '70x20');
});

test('resize --window-size latest hands a manual window back to its clients', async (t) => {
  const { h, s, a } = await manualWithClient();
  a.p.resize(120, 35);
  await waitFor(async () => (await clients(h, s.id)).clients[0]?.cols === 120, 30_000, 'the daemon to have the client new size');
  const changed = parseJson(await h.ccx(['resize', s.id, '--window-size', 'latest', '--json']));
  t.is(changed.windowSize, 'latest');
  await waitSize(h, s.id, '120x35', 'latest to give the window to the attached client');
  t.is(await sttySize(a, 'latest-again'), '120x35');
});

test('resize: a bad size, nothing to change or an unknown policy is a usage error', async (t) => {
  const h = home();
  const s = await startSession(h, ['--window-size', 'manual', '--cols', '80', '--rows', '24', ...BASH]);
  const bad = await h.ccx(['resize', s.id, '10by5']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /a size is COLSxROWS, each 1–1000; got: 10by5 \[E_USAGE\]/);
  t.is((await h.ccx(['resize', s.id, '0x10'])).code, 2);
  const nothing = await h.ccx(['resize', s.id]);
  t.is(nothing.code, 2);
  t.regex(nothing.stderr, /nothing to change/);
  const policy = await h.ccx(['resize', s.id, '--window-size', 'biggest']);
  t.is(policy.code, 2);
  t.regex(policy.stderr, /latest.*smallest.*largest.*manual/s);
});

/** A home whose config file sets windowSize largest. */
function homeWithLargestConfig(): Home {
  const h = home();
  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify({ windowSize: 'largest' }));
  return h;
}

test('the config file windowSize is the default for new sessions', async (t) => {
  const h = homeWithLargestConfig();
  const byConfig = await startSession(h, ['--', 'sleep', '600']);
  t.is(byConfig.windowSize, 'largest');
  t.is((await session(h, byConfig.id)).windowSize, 'largest');
});

test('start --window-size overrides the config file windowSize', async (t) => {
  const h = homeWithLargestConfig();
  const byFlag = await startSession(h, ['--window-size', 'smallest', '--', 'sleep', '600']);
  t.is(byFlag.windowSize, 'smallest');
});

test('ccx clients of a session nobody is attached to says so on stderr', async (t) => {
  const h = home();
  await startSession(h, ['--name', 'shared', '--cols', '80', '--rows', '24', ...BASH]);
  const none = await h.ccx(['clients', 'shared']);
  t.is(none.code, 0);
  t.regex(none.stderr, /no clients attached/);
});

test('ccx clients lists each attached client (number, size, read-only, idle time, last input), in JSON or as a table', async (t) => {
  const h = home();
  const s = await startSession(h, ['--name', 'shared', '--cols', '80', '--rows', '24', ...BASH]);
  const a = attach(h, 'shared', 100, 30);
  await waitClients(h, s.id, 1);
  attach(h, 'shared', 90, 25, ['--read-only']);
  await waitClients(h, s.id, 2);
  await sttySize(a, 'typed');
  const result = await clients(h, 'shared');
  t.is(result.session, s.id);
  t.is(result.windowSize, 'latest');
  t.is(`${result.cols}x${result.rows}`, '100x30');
  const [one, two] = result.clients;
  t.like(one, { client: 1, cols: 100, rows: 30, readOnly: false });
  t.like(two, { client: 2, cols: 90, rows: 25, readOnly: true, lastInputAt: null });
  t.truthy(one!.lastInputAt, 'the client that typed has a last input time');
  t.true(Date.parse(one!.lastInputAt!) >= Date.parse(one!.attachedAt));
  t.true(Number.isInteger(one!.idleSeconds) && one!.idleSeconds >= 0);

  const text = await h.ccx(['clients', 'shared']);
  t.is(text.code, 0);
  const lines = text.stdout.trim().split('\n');
  t.regex(lines[0]!, /^CLIENT\s+SIZE\s+MODE\s+IDLE\s+ATTACHED$/);
  t.regex(lines[1]!, /^1\s+100x30\s+read-write\s+\d+s\s+\d+[smhd]$/);
  t.regex(lines[2]!, /^2\s+90x25\s+read-only\s+\d+s\s+\d+[smhd]$/);
});

/** A session named crowd, nobody attached. */
async function crowdSession() {
  const h = home();
  const s = await startSession(h, ['--name', 'crowd', '--cols', '80', '--rows', '24', ...BASH]);
  return { h, s };
}

/** The crowd session with client 1 (100x30), then client 2 (90x25) attached. */
async function crowdWithTwo() {
  const { h, s } = await crowdSession();
  const first = attach(h, 'crowd', 100, 30);
  await waitClients(h, s.id, 1);
  const second = attach(h, 'crowd', 90, 25);
  await waitClients(h, s.id, 2);
  return { h, s, first, second };
}

test('ccx detach without --client or --all asks which client when several are attached', async (t) => {
  const { h } = await crowdWithTwo();
  const which = await h.ccx(['detach', 'crowd']);
  t.is(which.code, 1);
  t.regex(which.stderr, /2 clients are attached to crowd .*\(1, 2\) \[E_AMBIGUOUS\]/);
  t.regex(which.stderr, /--client 1.*--all/);
});

test('ccx detach --client N of a client not attached is not found, with a hint to ccx clients', async (t) => {
  const { h } = await crowdSession();
  const unknown = await h.ccx(['detach', 'crowd', '--client', '9']);
  t.is(unknown.code, 3);
  t.regex(unknown.stderr, /no client 9 is attached to crowd/);
  t.regex(unknown.stderr, /hint: see who is attached: ccx clients/);
});

test('ccx detach --client N detaches only that client', async (t) => {
  const { h, second } = await crowdWithTwo();
  const one = parseJson(await h.ccx(['detach', 'crowd', '--client', '2', '--json']));
  t.deepEqual(one.detached, [2]);
  t.is(await second.exit, 0, 'a detached client exits 0');
  t.regex(second.output(), /detached from crowd by another command/);
  t.deepEqual((await clients(h, 'crowd')).clients.map((c) => c.client), [1]);
});

/** The crowd session with two clients, then a third (70x20) attached with -d. */
async function crowdTakenOver() {
  const { h, s, first, second } = await crowdWithTwo();
  const taker = attach(h, 'crowd', 70, 20, ['-d']);
  return { h, s, first, second, taker };
}

const onlyClient3 = (h: Home): Promise<unknown> =>
  waitFor(async () => {
    const list = (await clients(h, 'crowd')).clients;
    return list.length === 1 && list[0]!.client === 3;
  }, 30_000, 'only the new client to remain');

test('attach -d detaches the other clients', async (t) => {
  const { h, first, taker } = await crowdTakenOver();
  t.is(await first.exit, 0, 'attach -d detached the other client');
  t.regex(first.output(), /detached from crowd by another command/);
  await onlyClient3(h);
  t.is(await sttySize(taker, 'taker'), '70x20');
});

/** The crowd session taken over by client 3 with attach -d, then ccx detach --all. */
async function crowdDetachedAll() {
  const { h, s, first, second, taker } = await crowdTakenOver();
  await Promise.all([first.exit, second.exit]);
  await onlyClient3(h);
  const all = await h.ccx(['detach', 'crowd', '--all']);
  return { h, s, all, taker };
}

test('ccx detach --all detaches every client', async (t) => {
  const { all, taker } = await crowdDetachedAll();
  t.is(all.code, 0);
  t.regex(all.stderr, /detached client 3 from/);
  t.is(await taker.exit, 0);
});

test('the session keeps running, with no client, after ccx detach --all', async (t) => {
  const { h, s, taker } = await crowdDetachedAll();
  await taker.exit;
  const after = await session(h, s.id);
  t.is(after.status, 'running');
  t.is(after.attachedClients, 0);
});

test('ccx detach --all with nothing attached is not an error', async (t) => {
  const { h } = await crowdSession();
  const again = await h.ccx(['detach', 'crowd', '--all']);
  t.is(again.code, 0, 'nothing attached is not an error');
});
