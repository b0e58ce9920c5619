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

test('policies (unit): latest follows the last active client and falls back on leave; smallest/largest per dimension; manual never; read-only and unsized clients never count', (t) => {
  const now = () => new Date();
  const latest = fakeWindow('latest');
  const l = new AttachedClients(latest, now);
  const a = l.add({ readOnly: false, cols: 100, rows: 30, detach: () => {} });
  l.add({ readOnly: false, cols: 60, rows: 15, detach: () => {} });
  t.deepEqual(latest.resizes, ['100x30', '60x15']);
  l.input(a);
  t.is(`${latest.cols}x${latest.rows}`, '100x30', 'typing makes a client the active one');
  l.remove(a);
  t.is(`${latest.cols}x${latest.rows}`, '60x15', 'the most recently active client left takes over');
  l.add({ readOnly: true, cols: 200, rows: 50, detach: () => {} });
  l.add({ readOnly: false, detach: () => {} });
  t.is(`${latest.cols}x${latest.rows}`, '60x15', 'read-only and sizeless clients do not resize');
  t.deepEqual(l.list().map((c) => c.client), [2, 3, 4], 'numbers are never reused');

  for (const [policy, want] of [['smallest', '60x15'], ['largest', '100x40'], ['manual', '80x24']] as const) {
    const win = fakeWindow(policy);
    const c = new AttachedClients(win, now);
    c.add({ readOnly: false, cols: 100, rows: 15, detach: () => {} });
    c.add({ readOnly: false, cols: 60, rows: 40, detach: () => {} });
    const [first] = c.all();
    c.resized(first!, 100, 15);
    t.is(`${win.cols}x${win.rows}`, want, policy);
  }

  const detached: number[] = [];
  const d = new AttachedClients(fakeWindow('latest'), now);
  const keep = d.add({ readOnly: false, cols: 80, rows: 24, detach: () => detached.push(1) });
  d.add({ readOnly: false, cols: 80, rows: 24, detach: () => detached.push(2) });
  d.add({ readOnly: true, cols: 80, rows: 24, detach: () => detached.push(3) });
  t.deepEqual(d.detachAll(keep), [2, 3]);
  t.deepEqual(detached, [2, 3]);
});

test('window-size largest: a 60x15 client attaching does not shrink the session for the 100x30 one; when that one leaves, the window takes the small size', async (t) => {
  const h = home();
  const s = await startSession(h, ['--window-size', 'largest', '--cols', '80', '--rows', '24', ...BASH]);
  t.is(s.windowSize, 'largest');
  const big = attach(h, s.id, 100, 30);
  await waitSize(h, s.id, '100x30', 'the first client to size the window');
  const small = attach(h, s.id, 60, 15);
  await waitClients(h, s.id, 2);
  t.is(await sttySize(small, 'small-typed'), '100x30', 'typing in the small client does not shrink the program');
  t.is(await size(h, s.id), '100x30');

  big.p.write(DETACH_KEY);
  t.is(await big.exit, 0);
  await waitSize(h, s.id, '60x15', 'the window to take the remaining client size');
  t.is(await sttySize(small, 'after-leave'), '60x15');
});

test('window-size smallest: the smallest width and height over the clients that type; a read-only viewer does not count', async (t) => {
  const h = home();
  const s = await startSession(h, ['--window-size', 'smallest', '--cols', '80', '--rows', '24', ...BASH]);
  const a = attach(h, s.id, 100, 30);
  await waitSize(h, s.id, '100x30', 'the first client size');
  const b = attach(h, s.id, 60, 40);
  await waitSize(h, s.id, '60x30', 'the smallest width and height of both');
  const viewer = attach(h, s.id, 40, 10, ['--read-only']);
  await waitClients(h, s.id, 3);
  t.is(await sttySize(a, 'with-viewer'), '60x30', 'the read-only 40x10 viewer leaves the size alone');
  b.p.write(DETACH_KEY);
  t.is(await b.exit, 0);
  await waitSize(h, s.id, '100x30', 'the size of the client left that types');
  viewer.p.write(DETACH_KEY);
  t.is(await viewer.exit, 0);
});

test('window-size manual: only ccx resize sets the size, clients attaching, typing and resizing do not; resize --window-size latest hands it back', async (t) => {
  const h = home();
  const s = await startSession(h, ['--window-size', 'manual', '--cols', '80', '--rows', '24', ...BASH]);
  const a = attach(h, s.id, 100, 30);
  await waitClients(h, s.id, 1);
  t.is(await sttySize(a, 'attached'), '80x24', 'attaching does not resize a manual window');

  t.is((await h.ccx(['resize', s.id, '70x20'])).code, 0);
  t.is(await size(h, s.id), '70x20');
  a.p.resize(120, 35);
  await waitFor(async () => (await clients(h, s.id)).clients[0]?.cols === 120, 30_000, 'the daemon to have the client new size');
  t.is(await size(h, s.id), '70x20', 'the client resize changed nothing');
  t.is(await sttySize(a, 'client-resized'), '70x20');

  const changed = parseJson(await h.ccx(['resize', s.id, '--window-size', 'latest', '--json']));
  t.is(changed.windowSize, 'latest');
  await waitSize(h, s.id, '120x35', 'latest to give the window to the attached client');
  t.is(await sttySize(a, 'latest-again'), '120x35');

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

test('the config file windowSize is the default for new sessions; start --window-size overrides it', async (t) => {
  const h = home();
  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify({ windowSize: 'largest' }));
  const byConfig = await startSession(h, ['--', 'sleep', '600']);
  t.is(byConfig.windowSize, 'largest');
  const byFlag = await startSession(h, ['--window-size', 'smallest', '--', 'sleep', '600']);
  t.is(byFlag.windowSize, 'smallest');
  t.is((await session(h, byConfig.id)).windowSize, 'largest');
});

test('ccx clients lists each attached client: number, size, read-only, idle time and when it last typed', async (t) => {
  const h = home();
  const s = await startSession(h, ['--name', 'shared', '--cols', '80', '--rows', '24', ...BASH]);
  const none = await h.ccx(['clients', 'shared']);
  t.is(none.code, 0);
  t.regex(none.stderr, /no clients attached/);

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

test('ccx detach: --client N detaches only that client, bare detach with several asks which, attach -d detaches the others, --all every one; the session keeps running', async (t) => {
  const h = home();
  const s = await startSession(h, ['--name', 'crowd', '--cols', '80', '--rows', '24', ...BASH]);
  const first = attach(h, 'crowd', 100, 30);
  await waitClients(h, s.id, 1);
  const second = attach(h, 'crowd', 90, 25);
  await waitClients(h, s.id, 2);

  const which = await h.ccx(['detach', 'crowd']);
  t.is(which.code, 1);
  t.regex(which.stderr, /2 clients are attached to crowd .*\(1, 2\) \[E_AMBIGUOUS\]/);
  t.regex(which.stderr, /--client 1.*--all/);
  const unknown = await h.ccx(['detach', 'crowd', '--client', '9']);
  t.is(unknown.code, 3);
  t.regex(unknown.stderr, /no client 9 is attached to crowd/);
  t.regex(unknown.stderr, /hint: see who is attached: ccx clients/);

  const one = parseJson(await h.ccx(['detach', 'crowd', '--client', '2', '--json']));
  t.deepEqual(one.detached, [2]);
  t.is(await second.exit, 0, 'a detached client exits 0');
  t.regex(second.output(), /detached from crowd by another command/);
  t.deepEqual((await clients(h, 'crowd')).clients.map((c) => c.client), [1]);

  const taker = attach(h, 'crowd', 70, 20, ['-d']);
  t.is(await first.exit, 0, 'attach -d detached the other client');
  t.regex(first.output(), /detached from crowd by another command/);
  await waitFor(async () => {
    const list = (await clients(h, 'crowd')).clients;
    return list.length === 1 && list[0]!.client === 3;
  }, 30_000, 'only the new client to remain');
  t.is(await sttySize(taker, 'taker'), '70x20');

  const all = await h.ccx(['detach', 'crowd', '--all']);
  t.is(all.code, 0);
  t.regex(all.stderr, /detached client 3 from/);
  t.is(await taker.exit, 0);
  const after = await session(h, s.id);
  t.is(after.status, 'running');
  t.is(after.attachedClients, 0);
  const again = await h.ccx(['detach', 'crowd', '--all']);
  t.is(again.code, 0, 'nothing attached is not an error');
});
