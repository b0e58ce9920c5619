/**
 * `ccx attach` driven through real PTYs. Most tests run each attach client
 * as a ccx session of its own ("viewer"): the daemon's headless terminal then
 * renders what that client's terminal shows (`ccx screen VIEWER`), and
 * `ccx send VIEWER` types into it. The resize test drives the client with
 * node-pty directly.
 */
import test from 'ava';
import type { ScreenResult, SessionInfo } from '@ccx/shared';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { CCX_BIN, eventsFromLog, makeHome, parseJson, waitFor, type Home, startSession, once } from './helpers/ccx.js';
import { ptysFor } from './helpers/terminals.js';

const homes: Home[] = [];
const scratch: string[] = [];
const ptys = ptysFor(test);
test.after.always(async () => {
  await Promise.all(homes.map((h) => h.cleanup()));
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function setup(): Home {
  const h = makeHome();
  homes.push(h);
  return h;
}

async function start(h: Home, args: string[]): Promise<string> {
  return (await startSession(h, args)).id;
}

/** An attach client in a PTY of its own, run as a ccx session so its terminal can be read and typed into. */
function viewer(h: Home, target: string, opts: { cols?: number; rows?: number; args?: string[] } = {}): Promise<string> {
  return start(h, ['--cols', String(opts.cols ?? 80), '--rows', String(opts.rows ?? 24), '--', process.execPath, CCX_BIN, 'attach', target, ...(opts.args ?? [])]);
}

async function session(h: Home, id: string): Promise<SessionInfo> {
  return parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.id === id)!;
}

async function screen(h: Home, id: string): Promise<ScreenResult> {
  const r = await h.ccx(['screen', id, '--json']);
  if (r.code !== 0) throw new Error(`screen failed: ${r.stderr}`);
  return parseJson<ScreenResult>(r);
}

function screenWhen(h: Home, id: string, ready: (s: ScreenResult) => boolean, what: string): Promise<ScreenResult> {
  return waitFor(async () => {
    const s = await screen(h, id);
    return ready(s) ? s : undefined;
  }, 20_000, what);
}

const linesOf = (s: ScreenResult): string[] => s.text.split('\n');
const BASH = ['--cols', '80', '--rows', '24', '--env', 'PS1=$ ', '--', 'bash', '--norc', '--noprofile'];
const DETACH = 'C-\\';

/**
 * A bash session shared by two attach clients A and B: A types a command,
 * B detaches, then a read-only client attaches and types while A types a
 * marker. What each step showed.
 */
const sharedSession = once(async () => {
  const h = setup();
  const target = await start(h, ['--name', 'shared', ...BASH]);
  await h.ccx(['send', target, 'echo before-attach']);
  const a = await viewer(h, 'shared');
  const b = await viewer(h, 'shared');
  for (const v of [a, b]) await screenWhen(h, v, (s) => linesOf(s).includes('before-attach') && s.text.endsWith('$'), 'the replayed screen');
  const attachedWithTwo = (await session(h, target)).attachedClients;

  await h.ccx(['send', a, 'echo typed-in-$((20+1))']);
  await screenWhen(h, target, (s) => linesOf(s).includes('typed-in-21'), 'the program to run what was typed in client A');
  const same = await waitFor(async () => {
    const [ta, tb, tt] = await Promise.all([screen(h, a), screen(h, b), screen(h, target)]);
    return ta.text === tt.text && tb.text === tt.text && ta.text.endsWith('$') ? tt.text : undefined;
  }, 20_000, 'both clients to show the program screen');

  await h.ccx(['send', b, '--key', DETACH]);
  const detached = await waitFor(async () => {
    const s = await session(h, b);
    return s.status !== 'running' ? s : undefined;
  }, 20_000, 'client B to detach');
  const detachedText = (await screen(h, b)).text;
  const afterDetach = await session(h, target);

  const ro = await viewer(h, 'shared', { args: ['--read-only'] });
  await screenWhen(h, ro, (s) => linesOf(s).includes('typed-in-21'), 'the read-only client to draw');
  await h.ccx(['send', ro, 'echo from-read-only']);
  await h.ccx(['send', a, 'echo marker-$((1+1))']);
  await screenWhen(h, target, (s) => linesOf(s).includes('marker-2'), 'the marker');
  await screenWhen(h, ro, (s) => linesOf(s).includes('marker-2'), 'the read-only client to see the marker');
  const programOutput = (await h.ccx(['logs', target])).stdout;
  const events = eventsFromLog(h).filter((e) => e.sessionId === target);
  return { attachedWithTwo, same, detached, detachedText, afterDetach, programOutput, events };
});

test('typing in one of two attached clients reaches the program, both clients showing its screen', async (t) => {
  const { attachedWithTwo, same } = await sharedSession();
  t.is(attachedWithTwo, 2);
  t.true(same.includes('typed-in-21'));
});

test('detaching a client leaves the program running', async (t) => {
  const { detached, detachedText, afterDetach } = await sharedSession();
  t.is(detached.exitCode, 0);
  t.regex(detachedText, /\[ccx: detached from shared; it keeps running/);
  t.is(afterDetach.status, 'running');
  t.is(afterDetach.attachedClients, 1);
});

test('keys typed in a read-only client never reach the program', async (t) => {
  const { programOutput } = await sharedSession();
  t.false(programOutput.includes('from-read-only'), 'keys typed in a read-only client never reach the program');
});

test('each attach is a client-attached event, each detach a client-detached one', async (t) => {
  const { events } = await sharedSession();
  t.is(events.filter((e) => e.type === 'client-attached').length, 3);
  t.is(events.filter((e) => e.type === 'client-detached').length, 1);
});

test('reattaching to vim restores its screen', async (t) => {
  const h = setup();
  const dir = mkdtempSync(join(tmpdir(), 'ccxa-'));
  scratch.push(dir);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'first line of notes\nsecond line\nthird line\n');
  const target = await start(h, ['--cols', '80', '--rows', '24', '--', 'vim', '-u', 'NONE', '-i', 'NONE', '-N', '-n', file]);
  await screenWhen(h, target, (s) => s.text.includes('third line'), 'vim to show the file');

  const first = await viewer(h, target);
  await screenWhen(h, first, (s) => s.text.includes('third line'), 'the first client to show vim');
  await h.ccx(['send', first, '--key', 'Oadded through attach\\e']);
  await screenWhen(h, target, (s) => s.text.startsWith('added through attach\nfirst line of notes'), 'the edit to reach vim');
  // vim leaves insert mode only once its Escape timeout (1 s with -u NONE)
  // has passed: until then its mode line may change between the second
  // client's screen and the session's, compared below.
  await screenWhen(h, target, (s) => !s.text.includes('-- INSERT --'), 'vim to leave insert mode');
  await h.ccx(['send', first, '--key', DETACH]);
  await waitFor(async () => (await session(h, first)).status === 'exited', 20_000, 'the first client to detach');
  const left = await screen(h, first);
  t.false(left.alternateScreen, 'detaching switched the client terminal out of the alternate screen');
  t.regex(left.text, /\[ccx: detached from/);

  const second = await viewer(h, target);
  const restored = await screenWhen(h, second, (s) => s.text.includes('third line'), 'the second client to show vim');
  const expected = await screen(h, target);
  t.is(restored.text, expected.text);
  t.true(restored.alternateScreen);
  t.deepEqual(linesOf(restored).slice(0, 5), ['added through attach', 'first line of notes', 'second line', 'third line', '~']);
  t.deepEqual(restored.cursor, expected.cursor);
});

/**
 * Two attach clients in PTYs of their own (100x30, then 90x25 with a
 * tmux-style detach key): the first types stty size, resizes to 120x35 and
 * types it again; then both detach. What the session's size and state were.
 */
const twoPtyClients = once(async () => {
  const h = setup();
  const target = await start(h, BASH);
  const client = (cols: number, rows: number, args: string[] = []): { p: pty.IPty; output: () => string; exit: Promise<number> } => {
    const p = pty.spawn(process.execPath, [CCX_BIN, 'attach', target, ...args], { cols, rows, env: h.env as Record<string, string>, name: 'xterm-256color' });
    ptys.push(p);
    let out = '';
    p.onData((d) => (out += d));
    const exit = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
    return { p, output: () => out, exit };
  };
  const size = async (): Promise<string> => {
    const s = await session(h, target);
    return `${s.cols}x${s.rows}`;
  };

  const one = client(100, 30);
  await waitFor(async () => (await size()) === '100x30', 20_000, 'the first client size');
  const two = client(90, 25, ['--detach-key', 'C-b d']);
  await waitFor(async () => (await size()) === '90x25', 20_000, 'the size of the client that attached last');
  await waitFor(() => two.output().includes('$'), 20_000, 'the second client to draw');

  one.p.write('stty size\r');
  await waitFor(() => one.output().includes('30 100'), 20_000, 'stty to report the typing client size');
  const sizeAfterTyping = await size();

  one.p.resize(120, 35);
  await waitFor(async () => (await size()) === '120x35', 20_000, 'the resize to reach the daemon');
  one.p.write('stty size\r');
  await waitFor(() => one.output().includes('35 120'), 20_000, 'stty to report the new size');
  await waitFor(() => two.output().includes('35 120'), 20_000, 'the other client to see it too');

  one.p.write('\x1c');
  const oneExit = await one.exit;
  two.p.write('\x02d');
  const twoExit = await two.exit;
  return { sizeAfterTyping, oneExit, twoExit, statusAfter: (await session(h, target)).status };
});

test('window size follows the most recently active client, down to the program (stty size in the client that typed)', async (t) => {
  t.is((await twoPtyClients()).sizeAfterTyping, '100x30');
});

test('the default detach key (C-\\) ends a PTY attach client with exit 0', async (t) => {
  t.is((await twoPtyClients()).oneExit, 0);
});

test('a custom detach key (--detach-key "C-b d") detaches a PTY attach client', async (t) => {
  t.is((await twoPtyClients()).twoExit, 0, 'a tmux-style detach key works too');
});

test('the session keeps running once its PTY attach clients detached', async (t) => {
  t.is((await twoPtyClients()).statusAfter, 'running');
});

/** An attach client of a program that waits for a line, exits 7 once it gets one; then a plain attach (no terminal) of the ended session. */
const attachedToExit = once(async () => {
  const h = setup();
  const target = await start(h, ['--name', 'leaving', '--', 'sh', '-c', 'echo waiting; read x; exit 7']);
  const v = await viewer(h, target);
  await screenWhen(h, v, (s) => s.text.includes('waiting'), 'the client to draw');
  await h.ccx(['send', v, 'bye']);
  const ended = await waitFor(async () => {
    const s = await session(h, v);
    return s.status !== 'running' ? s : undefined;
  }, 20_000, 'the client to end');
  const clientText = (await screen(h, v)).text;
  const again = await h.ccx(['attach', target]);
  return { ended, clientText, again };
});

test('attach prints the exit status of the program', async (t) => {
  t.regex((await attachedToExit()).clientText, /\[ccx: leaving exited with code 7\]/);
});

test('attach exits with the program exit code', async (t) => {
  t.is((await attachedToExit()).ended.exitCode, 7);
});

test('attach without a terminal of an ended session is a usage error before anything else', async (t) => {
  t.is((await attachedToExit()).again.code, 2, 'not a terminal: usage error first');
});

test('attach without a terminal is a usage error pointing to logs -f or send instead', async (t) => {
  const h = setup();
  await start(h, ['--name', 'bg', '--', 'sh', '-c', 'exit 0']);
  const r = await h.ccx(['attach', 'bg']);
  t.is(r.code, 2);
  t.regex(r.stderr, /attach needs a terminal on stdin and stdout \[E_USAGE\]/);
  t.regex(r.stderr, /ccx logs -f bg/);
  t.regex(r.stderr, /ccx send bg/);
});

test('an ended session cannot be attached', async (t) => {
  const h = setup();
  const target = await start(h, ['--name', 'bg', '--', 'sh', '-c', 'exit 0']);
  await waitFor(async () => (await session(h, target)).status === 'exited', 20_000, 'the program to exit');
  const v = await viewer(h, target);
  const ended = await waitFor(async () => {
    const s = await session(h, v);
    return s.status !== 'running' ? s : undefined;
  }, 20_000, 'the client to give up');
  t.is(ended.exitCode, 1);
  t.regex((await screen(h, v)).text, /is exited \[E_NOT_RUNNING\]/);
});
