import test from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@ccx/shared';
import { homesFor, CCX_BIN, isAlive, parseJson, waitFor, type Home } from './helpers/ccx.js';

const home = homesFor(test);

/** A raw client on the daemon socket: write bytes, collect decoded replies, see if it was closed. */
function rawClient(h: Home): Promise<{ socket: Socket; replies: any[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(h.dir, 'run', 'ccxd.sock'));
    const decoder = new FrameDecoder();
    const replies: any[] = [];
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (chunk) => replies.push(...decoder.push(chunk)));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, replies, closed }));
    socket.once('error', reject);
  });
}

const hello = () => encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: '0.1.0' });

/** A daemon serving one session, keep; its pid. */
async function daemonWithKeep(h: Home): Promise<number> {
  await h.ccx(['start', '--name', 'keep', '--', 'sleep', '600']);
  return h.daemonPid()!;
}

/** Request before hello: fatal error, connection closed. */
async function requestBeforeHello(h: Home) {
  const early = await rawClient(h);
  early.socket.write(encodeFrame({ t: 'req', id: 1, method: 'session.list', params: {} }));
  await early.closed;
  return early;
}

/** Oversized frame header: closed without buffering a megabyte first. */
async function oversizedHeader(h: Home) {
  const big = await rawClient(h);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(64 * 1024 * 1024);
  big.socket.write(header);
  await big.closed;
  return big;
}

/** Invalid JSON inside a well-sized frame. */
async function junkFrame(h: Home) {
  const junk = await rawClient(h);
  const body = Buffer.from('{not json');
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length);
  body.copy(frame, 4);
  junk.socket.write(frame);
  await junk.closed;
  return junk;
}

/** After hello: wrong shapes, unknown methods and bad params (ids 2 to 6), then a good list (7); the replies once 7 came. */
async function badRequestsAfterHello(h: Home) {
  const c = await rawClient(h);
  c.socket.write(hello());
  c.socket.write(encodeFrame({ t: 'nonsense', id: 2 }));
  c.socket.write(encodeFrame({ t: 'req', id: 3, method: 'session.explode', params: {} }));
  c.socket.write(encodeFrame({ t: 'req', id: 4, method: 'session.start', params: { command: 'not-an-array' } }));
  c.socket.write(encodeFrame({ t: 'req', id: 5, method: 'session.send', params: { target: 'keep', text: 42 } }));
  c.socket.write(encodeFrame({ t: 'req', id: 6, method: '__proto__', params: {} }));
  c.socket.write(encodeFrame({ t: 'req', id: 7, method: 'session.list', params: {} }));
  const replies = await waitFor(() => (c.replies.length >= 7 ? c.replies : undefined), 10_000, 'replies');
  c.socket.destroy();
  return replies;
}

/** Random bytes. */
async function randomBytesClient(h: Home): Promise<void> {
  const noise = await rawClient(h);
  noise.socket.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
  await noise.closed;
}

test('a request before hello gets a fatal E_PROTOCOL, the connection closed', async (t) => {
  const h = home();
  await daemonWithKeep(h);
  const early = await requestBeforeHello(h);
  t.is(early.replies[0]?.t, 'fatal');
  t.is(early.replies[0]?.error.code, 'E_PROTOCOL');
});

test('an oversized frame header closes the connection, saying the frame exceeds the limit', async (t) => {
  const h = home();
  await daemonWithKeep(h);
  const big = await oversizedHeader(h);
  t.regex(big.replies[0]?.error.message ?? '', /exceeds/);
});

test('invalid JSON inside a well-sized frame gets E_PROTOCOL', async (t) => {
  const h = home();
  await daemonWithKeep(h);
  const junk = await junkFrame(h);
  t.is(junk.replies[0]?.error.code, 'E_PROTOCOL');
});

test('after hello, wrong shapes, unknown methods or bad params get error replies on a live connection', async (t) => {
  const h = home();
  await daemonWithKeep(h);
  const replies = await badRequestsAfterHello(h);
  t.is(replies[0].t, 'welcome');
  const byId = new Map(replies.filter((r) => r.t === 'res').map((r) => [r.id, r]));
  t.is(byId.get(3)?.error.code, 'E_PROTOCOL');
  t.regex(byId.get(3)?.error.message, /unknown method/);
  t.is(byId.get(4)?.error.code, 'E_USAGE');
  t.is(byId.get(5)?.error.code, 'E_USAGE');
  t.is(byId.get(6)?.error.code, 'E_PROTOCOL');
  t.is(byId.get(7)?.ok, true);
  t.is(byId.get(7)?.result[0].name, 'keep');
  t.true(replies.some((r) => r.t === 'res' && r.id === 2 && r.error?.code === 'E_PROTOCOL'));
});

test('the daemon keeps serving after malformed, oversized, unknown messages or random bytes', async (t) => {
  const h = home();
  const pid = await daemonWithKeep(h);
  await requestBeforeHello(h);
  await oversizedHeader(h);
  await junkFrame(h);
  await badRequestsAfterHello(h);
  await randomBytesClient(h);
  t.true(isAlive(pid), 'daemon still running');
  t.is(h.daemonPid(), pid);
  const list = parseJson<SessionInfo[]>(await h.ccx(['list', '--json']));
  t.deepEqual(list.map((s) => s.name), ['keep']);
});

test('another OS user cannot connect to the socket or use the daemon', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('needs root to switch to nobody');
  const h = home();
  await h.ccx(['start', '--name', 'mine', '--', 'sleep', '600']);
  const socketPath = join(h.dir, 'run', 'ccxd.sock');
  const asNobody = (args: string[]): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      execFile('runuser', ['-u', 'nobody', '--', process.execPath, ...args], { env: { ...h.env, HOME: '/tmp' } }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout + stderr }),
      );
    });
  const probe = await asNobody(['-e', "require('net').connect(process.argv[1]).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(7)})", socketPath]);
  t.is(probe.code, 7, probe.out);
  t.regex(probe.out, /EACCES|EPERM/);
  const list = await asNobody([CCX_BIN, 'list', '--json']);
  t.not(list.code, 0);
  t.notRegex(list.out, /"mine"/);
  // Even with the directories opened up, the socket itself is owner-only.
  chmodSync(h.dir, 0o755);
  chmodSync(join(h.dir, 'run'), 0o755);
  const direct = await asNobody(['-e', "require('net').connect(process.argv[1]).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(7)})", socketPath]);
  t.is(direct.code, 7, direct.out);
  chmodSync(join(h.dir, 'run'), 0o700);
});

test('an unsafe runtime directory is refused with a hint', async (t) => {
  const h = home();
  mkdirSync(join(h.dir, 'run'), { mode: 0o700 });
  chmodSync(join(h.dir, 'run'), 0o777);
  const r = await h.ccx(['list']);
  t.is(r.code, 4);
  t.regex(r.stderr, /other users can reach it \[E_PERMISSION\]/);
  t.regex(r.stderr, /hint: run: chmod 700/);
});

/** A daemon serving a bash session, stopped with SIGTERM; the session's pid. */
async function sigtermedDaemon(h: Home): Promise<number> {
  const s = parseJson(await h.ccx(['start', '--json', '--', 'bash', '--norc']));
  const pid = h.daemonPid()!;
  process.kill(pid, 'SIGTERM');
  await waitFor(() => !isAlive(pid), 15_000, 'daemon exit');
  return s.pid;
}

test('a daemon stopped by SIGTERM leaves neither its socket nor its registry', async (t) => {
  const h = home();
  await sigtermedDaemon(h);
  const { existsSync } = await import('node:fs');
  t.false(existsSync(join(h.dir, 'run', 'ccxd.sock')));
  t.false(existsSync(join(h.dir, 'state', 'daemon.json')));
});

test('SIGTERM stops the daemon gracefully: its sessions ended, recorded as cancelled', async (t) => {
  const h = home();
  const sessionPid = await sigtermedDaemon(h);
  t.false(isAlive(sessionPid));
  const all = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json']));
  t.is(all[0]!.status, 'cancelled');
});

test('usage errors exit 2 with a hint', async (t) => {
  const h = home();
  const bad = await h.ccx(['frobnicate']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /hint:/);
  const noCmd = await h.ccx(['start']);
  t.is(noCmd.code, 2);
  t.regex(noCmd.stderr, /put the command after --/);
});

test('--version prints the version', async (t) => {
  const version = await home().ccx(['--version']);
  t.is(version.stdout.trim(), '0.1.0');
});

test('a command\'s --help shows its examples', async (t) => {
  const help = await home().ccx(['send', '--help']);
  t.regex(help.stdout, /Examples:/);
});

test('ccx completion prints a completion script', async (t) => {
  const completion = await home().ccx(['completion']);
  t.regex(completion.stdout, /complete/);
});

test('usage errors, --version, --help, completion start no daemon', async (t) => {
  const h = home();
  for (const args of [['frobnicate'], ['start'], ['--version'], ['send', '--help'], ['completion']]) await h.ccx(args);
  t.is(h.daemonPid(), undefined, 'none of these started a daemon');
});
