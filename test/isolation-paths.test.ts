/**
 * Issue 11 point 1: the CLI checks before it connects, the daemon never
 * follows a planted path nor trusts a planted record. These tests act as
 * user `nobody` through spawn's uid/gid (so the pid we track is the process
 * itself): that needs root, which CI is. Point 11 (smaller leaks) follows.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CCX_BIN, ROOT, eventsFromLog, homesFor, isAlive, sleep, startSession, waitFor, waitForOutput, type Home } from './helpers/ccx.js';
import { signatureValid, startReceiver } from './helpers/receiver.js';

const home = homesFor(test);
const NOBODY_UID = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
const NOBODY_GID = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
const DAEMON_MAIN = join(ROOT, 'packages', 'daemon', 'dist', 'main.js');

const children: ChildProcess[] = [];
const dirs: string[] = [];
test.after.always(() => {
  for (const child of children) if (child.pid && child.exitCode === null) child.kill('SIGKILL');
  // A scratch HOME a CLI used (defaultsEnv): a daemon started there where a check is missing ends too.
  for (const d of dirs) stopDaemonOf(join(d, '.local', 'state'), 'ccx');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A directory like /tmp: root's, mode 1777, so nobody can make entries in it but not rename ours. */
function stickyDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ccxi-'));
  chmodSync(d, 0o1777);
  dirs.push(d);
  return d;
}

/** A private directory of root's (mode 0700), as HOME for a CLI that must not touch the real one. */
function privateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ccxh-'));
  dirs.push(d);
  return d;
}

/**
 * As nobody: `mkdir -p dir` (0700, nobody's), optionally a symlink `link` to
 * it, and a Unix socket server at dir/ccxd.sock that counts every byte it is
 * sent. Resolves once it listens; `received()` reads the count it reports.
 */
async function fakeServer(dir: string, link?: string): Promise<{ received(): number }> {
  const script = `
    const fs = require('fs'), net = require('net'), path = require('path');
    const [dir, link] = process.argv.slice(1);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (link) fs.symlinkSync(dir, link);
    let bytes = 0;
    net.createServer((s) => s.on('data', (d) => { bytes += d.length; process.stdout.write('BYTES ' + bytes + '\\n'); }).on('error', () => {}))
      .listen(path.join(dir, 'ccxd.sock'), () => process.stdout.write('READY\\n'));`;
  const child = spawn(process.execPath, ['-e', script, dir, ...(link ? [link] : [])], { uid: NOBODY_UID, gid: NOBODY_GID, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await waitFor(() => out.includes('READY'), 15_000, 'fake server as nobody');
  return {
    received: () => {
      const counts = [...out.matchAll(/BYTES (\d+)/g)].map((m) => Number(m[1]));
      return counts.length ? counts[counts.length - 1]! : 0;
    },
  };
}

/** Where a check is missing (today's main), the CLI starts a daemon in a home the harness does not know: end it by its pid. */
function stopDaemonOf(ccxHome: string, stateDir = 'state'): void {
  try {
    process.kill((JSON.parse(readFileSync(join(ccxHome, stateDir, 'daemon.json'), 'utf8')) as { pid: number }).pid, 'SIGKILL');
  } catch {}
}

/** A CLI environment without CCX_HOME or XDG dirs: the defaults, under a scratch TMPDIR and HOME. */
function defaultsEnv(h: Home, tmp: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const homeDir = privateDir();
  return { CCX_HOME: undefined, XDG_RUNTIME_DIR: undefined, XDG_STATE_HOME: undefined, XDG_CONFIG_HOME: undefined, TMPDIR: tmp, HOME: homeDir, ...extra };
}

const SECRETS = { AWS_SECRET_ACCESS_KEY: 'aws-secret-for-the-test', GITHUB_TOKEN: 'ghp_secret_for_the_test' };

function assertRefused(t: ExecutionContext, r: { code: number; stderr: string }, path: string, why: RegExp): void {
  t.is(r.code, 4, r.stderr);
  t.regex(r.stderr, /\[E_PERMISSION\]/);
  t.true(r.stderr.includes(path), r.stderr);
  t.regex(r.stderr, why);
  t.regex(r.stderr, /\nhint: .+/);
}

test('a runtime dir in TMPDIR that nobody made is refused by start, nothing sent to its planted socket', async (t) => {
  const h = home();
  const tmp = stickyDir();
  const runtime = join(tmp, 'ccx-0');
  const server = await fakeServer(runtime);
  const r = await h.ccx(['start', '--', 'sh', '-c', 'sleep 1'], { env: defaultsEnv(h, tmp, SECRETS) });
  assertRefused(t, r, runtime, /owned by uid 65534, not by you/);
  await sleep(300); // bytes in flight would have been counted by now
  t.is(server.received(), 0);
});

test('hooks add --secret - refuses the planted runtime dir before reading or sending the secret', async (t) => {
  const h = home();
  const tmp = stickyDir();
  const server = await fakeServer(join(tmp, 'ccx-0'));
  const r = await h.ccx(['hooks', 'add', 'http://127.0.0.1:9/hook', '--secret', '-'], { env: defaultsEnv(h, tmp), input: 'webhook-secret-for-the-test\n' });
  assertRefused(t, r, join(tmp, 'ccx-0'), /owned by uid 65534/);
  await sleep(300);
  t.is(server.received(), 0);
});

test('a runtime dir that is a symlink (to a dir nobody owns) is refused, nothing sent', async (t) => {
  const h = home();
  const tmp = stickyDir();
  const link = join(tmp, 'ccx-0');
  const server = await fakeServer(join(tmp, 'elsewhere'), link);
  const r = await h.ccx(['start', '--', 'true'], { env: defaultsEnv(h, tmp, SECRETS) });
  assertRefused(t, r, link, /symbolic link/);
  await sleep(300);
  t.is(server.received(), 0);
});

test('a pre-made $XDG_RUNTIME_DIR/ccx owned by nobody is refused, nothing sent', async (t) => {
  const h = home();
  const xdg = stickyDir();
  const server = await fakeServer(join(xdg, 'ccx'));
  const r = await h.ccx(['start', '--', 'true'], { env: defaultsEnv(h, stickyDir(), { ...SECRETS, XDG_RUNTIME_DIR: xdg }) });
  assertRefused(t, r, join(xdg, 'ccx'), /owned by uid 65534/);
  await sleep(300);
  t.is(server.received(), 0);
});

test('a socket owned by another user in our own runtime dir is refused, nothing sent', async (t) => {
  const h = home();
  const run = join(h.dir, 'run');
  mkdirSync(run, { mode: 0o700 });
  // nobody cannot enter root's 0700 dir; open it for the server to make its socket, then close it again.
  chmodSync(h.dir, 0o711);
  chmodSync(run, 0o777);
  const server = await fakeServer(run);
  chmodSync(run, 0o700);
  chmodSync(h.dir, 0o700);
  const r = await h.ccx(['list']);
  assertRefused(t, r, join(run, 'ccxd.sock'), /owned by uid 65534/);
  t.is(server.received(), 0);
});

/** A home whose state dir is a symlink to a 0700 dir that nobody owns. */
function homeWithStateLinkedToNobody(): { h: Home; theirs: string } {
  const h = home();
  const theirs = join(stickyDir(), 'theirs');
  mkdirSync(theirs, { mode: 0o700 });
  chownSync(theirs, NOBODY_UID, NOBODY_GID);
  symlinkSync(theirs, join(h.dir, 'state'));
  return { h, theirs };
}

test('a state dir that is a symlink into a dir nobody controls is refused by the CLI', async (t) => {
  const { h } = homeWithStateLinkedToNobody();
  const r = await h.ccx(['list']);
  assertRefused(t, r, join(h.dir, 'state'), /owned by uid 65534/);
});

test('a state dir that is a symlink into a dir nobody controls is refused by the daemon itself', async (t) => {
  const { h, theirs } = homeWithStateLinkedToNobody();
  // The daemon started directly (as a service manager would) refuses too, and writes nothing there.
  const daemon = spawn(process.execPath, [DAEMON_MAIN, 'run', '--foreground'], { env: h.env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(daemon);
  let stderr = '';
  daemon.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => daemon.once('exit', resolve));
  t.not(code, 0);
  t.regex(stderr, /owned by uid 65534/);
  t.deepEqual(readdirNames(theirs), []);
});

test('events.log symlinked to a file elsewhere is refused: the daemon appends nothing through it', async (t) => {
  const h = home();
  const theirs = join(stickyDir(), 'theirs');
  mkdirSync(theirs, { mode: 0o755 });
  const victim = join(theirs, 'victim.log');
  writeFileSync(victim, 'untouched\n');
  chownSync(theirs, NOBODY_UID, NOBODY_GID);
  mkdirSync(join(h.dir, 'state'), { mode: 0o700 });
  symlinkSync(victim, join(h.dir, 'state', 'events.log'));
  const r = await h.ccx(['list']);
  t.is(r.code, 4, r.stderr);
  t.regex(r.stderr, /events\.log is a symbolic link.*\[E_PERMISSION\]/);
  const daemon = spawn(process.execPath, [DAEMON_MAIN, 'run', '--foreground'], { env: h.env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(daemon);
  const code = await new Promise<number | null>((resolve) => daemon.once('exit', resolve));
  t.not(code, 0);
  t.is(readFileSync(victim, 'utf8'), 'untouched\n');
});

test('a CCX_HOME below a directory others can write (not sticky) is refused, naming that directory', async (t) => {
  const h = home();
  const open = join(stickyDir(), 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const ccxHome = join(open, 'home');
  mkdirSync(ccxHome, { mode: 0o700 });
  t.teardown(() => stopDaemonOf(ccxHome));
  const r = await h.ccx(['list'], { env: { CCX_HOME: ccxHome } });
  assertRefused(t, r, open, /mode 777: other users can rename what is in it/);
  t.regex(r.stderr, /hint: run: chmod go-w /);
  t.false(existsSync(join(ccxHome, 'run')), 'nothing created below it');
});

test('a CCX_HOME below a directory another user owns is refused, naming that directory', async (t) => {
  const h = home();
  const theirs = join(stickyDir(), 'theirs');
  mkdirSync(theirs, { mode: 0o755 });
  const ccxHome = join(theirs, 'home');
  mkdirSync(ccxHome, { mode: 0o700 });
  chownSync(theirs, NOBODY_UID, NOBODY_GID);
  t.teardown(() => stopDaemonOf(ccxHome));
  const r = await h.ccx(['start', '--', 'true'], { env: { CCX_HOME: ccxHome } });
  assertRefused(t, r, theirs, /owned by uid 65534, not by you or root/);
  t.false(existsSync(join(ccxHome, 'state')), 'nothing created below it');
});

/** A process of root's in a session of its own (so a kill of its session hits only it), and its /proc start time. */
function victimProcess(): { pid: number; startTime: number } {
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  children.push(child);
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  return { pid: child.pid!, startTime };
}

function plantedRecord(id: string, victim: { pid: number; startTime: number }): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    id, name: 'planted', status: 'running', command: ['sleep', '300'], cwd: '/', cols: 80, rows: 24,
    createdAt: now, startedAt: now, endedAt: null, lastActivityAt: null, exitCode: null, signal: null, error: null,
    pid: victim.pid, processStartTime: victim.startTime, preset: null, enterDelayMs: 150,
  });
}

test('a session record another user owns is ignored: the reaper never kills the pid it names', async (t) => {
  const h = home();
  const victim = victimProcess();
  const dir = join(h.dir, 'state', 'sessions', 'plantedx');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'meta.json'), plantedRecord('plantedx', victim));
  chownSync(join(dir, 'meta.json'), NOBODY_UID, NOBODY_GID);
  chownSync(dir, NOBODY_UID, NOBODY_GID);
  const r = await h.ccx(['list', '--all', '--json']);
  t.is(r.code, 0, r.stderr);
  t.false(r.stdout.includes('plantedx'));
  await sleep(500); // a SIGKILL sent during restore has landed by now
  t.true(isAlive(victim.pid));
  const log = readFileSync(join(h.dir, 'state', 'daemon.log'), 'utf8');
  t.regex(log, /ignored a session directory the daemon does not own.*plantedx/);
});

test('a record planted in a symlinked state dir is never acted on: the daemon refuses to start, the victim lives', async (t) => {
  const h = home();
  const victim = victimProcess();
  const theirs = join(stickyDir(), 'theirs');
  mkdirSync(join(theirs, 'sessions', 'plantedy'), { recursive: true, mode: 0o700 });
  writeFileSync(join(theirs, 'sessions', 'plantedy', 'meta.json'), plantedRecord('plantedy', victim));
  execFileSync('chown', ['-R', `${NOBODY_UID}:${NOBODY_GID}`, theirs]);
  symlinkSync(theirs, join(h.dir, 'state'));
  const daemon = spawn(process.execPath, [DAEMON_MAIN, 'run', '--foreground'], { env: h.env, stdio: 'ignore' });
  children.push(daemon);
  h.track(daemon.pid);
  const exited = await Promise.race([new Promise((resolve) => daemon.once('exit', () => resolve(true))), sleep(15_000).then(() => false)]);
  t.true(exited, 'the daemon should refuse and exit');
  t.true(isAlive(victim.pid));
  t.false(existsSync(join(theirs, 'daemon.json')));
});

function readdirNames(dir: string): string[] {
  return execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

// ---- issue 11 point 11: smaller leaks ---------------------------------------

function writeConfig(h: Home, config: Record<string, unknown>): void {
  mkdirSync(join(h.dir, 'config'), { recursive: true, mode: 0o700 });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify(config));
}

test('hooks add reads secret or header values from files or stdin, never only argv', async (t) => {
  const h = home();
  const receiver = await startReceiver();
  t.teardown(() => receiver.stop());
  const files = privateDir();
  writeFileSync(join(files, 'secret'), 'file-secret-value\n');
  writeFileSync(join(files, 'headers'), '# for the test\nAuthorization: Bearer header-file-token\n\nX-Extra: two\n');
  const added = await h.ccx(['hooks', 'add', receiver.url, '--secret-file', join(files, 'secret'), '--header-file', join(files, 'headers'), '--label', 'filed']);
  t.is(added.code, 0, added.stderr);
  const fromStdin = await h.ccx(['hooks', 'add', receiver.url, '--header-file', '-', '--secret-file', join(files, 'secret'), '--label', 'piped'], { input: 'Authorization: Bearer stdin-token\n' });
  t.is(fromStdin.code, 0, fromStdin.stderr);
  for (const label of ['filed', 'piped']) t.is((await h.ccx(['hooks', 'test', label])).code, 0);
  await waitFor(() => receiver.requests.length >= 2, 15_000, 'two pings');
  const [first, second] = receiver.requests;
  t.is(first!.headers.authorization, 'Bearer header-file-token');
  t.is(first!.headers['x-extra'], 'two');
  t.true(signatureValid(first!, 'file-secret-value'));
  t.is(second!.headers.authorization, 'Bearer stdin-token');
});

test('stdin holds the secret or the headers for hooks add, never both', async (t) => {
  const h = home();
  const receiver = await startReceiver();
  t.teardown(() => receiver.stop());
  const both = await h.ccx(['hooks', 'add', receiver.url, '--secret', '-', '--header-file', '-'], { input: 'x' });
  t.is(both.code, 2);
  t.regex(both.stderr, /stdin can hold the secret or the headers, not both/);
});

/** Three sends to cat: a password, one with --no-record, then `after`; the two sends' results, the input-sent events once two are logged, and the events log. */
async function sendsWithAndWithoutRecord(h: Home) {
  const s = await startSession(h, ['--', 'cat']);
  const sent = await h.ccx(['send', s.id, 'hunter2-typed-password']);
  const hidden = await h.ccx(['send', s.id, '--no-record', 'unrecorded-password']);
  await waitForOutput(h, s.id, 'unrecorded-password');
  await h.ccx(['send', s.id, 'after']);
  const inputs = await waitFor(() => {
    const found = eventsFromLog(h).filter((e) => e.type === 'input-sent');
    return found.length >= 2 ? found : undefined;
  }, 15_000, 'two input-sent events');
  return { sent, hidden, inputs, log: readFileSync(join(h.dir, 'state', 'events.log'), 'utf8') };
}

test('input-sent carries the byte count, no text, by default', async (t) => {
  const { sent, inputs, log } = await sendsWithAndWithoutRecord(home());
  t.is(sent.code, 0, sent.stderr);
  t.is(inputs[0]!.bytes, Buffer.byteLength('hunter2-typed-password\r'));
  t.is(inputs[0]!.text, undefined);
  t.false(log.includes('hunter2'));
});

test('send --no-record leaves no event', async (t) => {
  const { hidden, inputs, log } = await sendsWithAndWithoutRecord(home());
  t.is(hidden.code, 0, hidden.stderr);
  t.is(inputs.length, 2, JSON.stringify(inputs));
  t.false(log.includes('unrecorded'));
});

test('config events.inputText "preview" keeps the first 200 characters, "full" all of it', async (t) => {
  const long = 'p'.repeat(250);
  for (const [mode, expected] of [['preview', `${'p'.repeat(200)}…`], ['full', long]] as const) {
    const h = home();
    writeConfig(h, { events: { inputText: mode } });
    const s = await startSession(h, ['--', 'cat']);
    t.is((await h.ccx(['send', s.id, long])).code, 0);
    const input = await waitFor(() => eventsFromLog(h).find((e) => e.type === 'input-sent'), 15_000, 'input-sent');
    t.is(input.text, expected, mode);
  }
});

test('list prints control characters of user strings escaped', async (t) => {
  const h = home();
  const hostile = 'x\x1b]52;c;aGk=\x07\x1b[2Jy';
  await startSession(h, ['--name', 'esc', '--', 'sh', '-c', 'sleep 60', hostile]);
  const list = await h.ccx(['list']);
  t.is(list.code, 0, list.stderr);
  t.false(/[\x00-\x09\x0b-\x1f\x7f]/.test(list.stdout), JSON.stringify(list.stdout));
  t.true(list.stdout.includes('x\\x1b]52;c;aGk=\\x07\\x1b[2Jy'), list.stdout);
});

test('error messages print control characters of user strings escaped', async (t) => {
  const h = home();
  const missing = await h.ccx(['send', 'no\x1b[31mpe', 'hi']);
  t.is(missing.code, 3);
  t.false(/[\x00-\x09\x0b-\x1f\x7f]/.test(missing.stderr), JSON.stringify(missing.stderr));
  t.regex(missing.stderr, /no\\x1b\[31mpe/);
});

test("a hook's level does not replace the daemon log line's level", async (t) => {
  const h = home();
  const r = await h.ccx(['hooks', 'add', 'http://127.0.0.1:9/x', '--level', 'stream']);
  t.is(r.code, 0, r.stderr);
  const lines = readFileSync(join(h.dir, 'state', 'daemon.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const added = lines.find((l) => l.msg === 'webhook added');
  t.truthy(added);
  t.is(added.level, 'info');
  t.false(lines.some((l) => !['debug', 'info', 'warn', 'error'].includes(l.level)), 'every line has a log level');
});

test("a session gets the umask of the ccx start that made it, not the daemon's", async (t) => {
  const h = home();
  // The daemon starts under umask 022; the session is asked for under 077.
  const first = await new Promise<number>((resolve) => {
    const child = spawn('sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, CCX_BIN, 'list'], { env: h.env, stdio: 'ignore' });
    child.once('exit', (code) => resolve(code ?? 1));
  });
  t.is(first, 0);
  const out = await new Promise<string>((resolve) => {
    execFile('sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, CCX_BIN, 'start', '--json', '--', 'sh', '-c', 'umask; touch f; sleep 30'], { env: h.env, cwd: privateDir() }, (_e, stdout) => resolve(stdout));
  });
  const info = JSON.parse(out);
  h.track(info.pid);
  const text = await waitForOutput(h, info.id, /\d{4}/);
  t.regex(text, /0077/);
  await waitFor(() => existsSync(join(info.cwd, 'f')), 15_000, 'the file the session made');
  t.is(statSync(join(info.cwd, 'f')).mode & 0o777, 0o600);
});
