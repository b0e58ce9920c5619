import test from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { homesFor, isAlive, parseJson, waitFor } from './helpers/ccx.js';

const home = homesFor(test);

test('the first call auto-starts the daemon', async (t) => {
  const h = home();
  const before = await h.ccx(['daemon', 'status']);
  t.is(before.code, 4, 'status with no daemon exits 4');
  const list = await h.ccx(['list', '--json']);
  t.is(list.code, 0, list.stderr);
  t.deepEqual(parseJson(list), []);
  const pid = h.daemonPid();
  t.truthy(pid && isAlive(pid));
});

test('daemon status reports the daemon a first call started', async (t) => {
  const h = home();
  await h.ccx(['list', '--json']);
  const pid = h.daemonPid();
  const status = parseJson(await h.ccx(['daemon', 'status', '--json']));
  t.is(status.pid, pid);
  t.is(status.running, true);
  t.is(status.version, '0.1.0');
  t.is(typeof status.uptimeMs, 'number');
  t.true(status.socket.endsWith('ccxd.sock'));
  t.deepEqual(status.sessions, { total: 0, running: 0 });
  t.true(status.events.counts['daemon-started'] >= 1);
});

test('daemon stop leaves neither a daemon process nor a socket file', async (t) => {
  const h = home();
  t.is((await h.ccx(['daemon', 'start'])).code, 0);
  const pid = h.daemonPid()!;
  const socket = join(h.dir, 'run', 'ccxd.sock');
  t.true(existsSync(socket));
  const stop = await h.ccx(['daemon', 'stop']);
  t.is(stop.code, 0, stop.stderr);
  t.false(isAlive(pid));
  t.false(existsSync(socket));
  t.false(existsSync(join(h.dir, 'state', 'daemon.json')));
});

test('20 concurrent first calls start exactly one daemon', async (t) => {
  const h = home();
  const results = await Promise.all(Array.from({ length: 20 }, () => h.ccx(['list', '--json'])));
  for (const r of results) t.is(r.code, 0, r.stderr);
  const status = parseJson(await h.ccx(['daemon', 'status', '--json']));
  // Every daemon process started for this home carries its CCX_HOME; count them.
  const { readdirSync, readFileSync } = await import('node:fs');
  const daemons = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        const env = readFileSync(`/proc/${p}/environ`, 'utf8');
        return cmd.includes('daemon/dist/main.js') && env.includes(`CCX_HOME=${h.dir}\0`);
      } catch {
        return false;
      }
    });
  t.deepEqual(daemons.map(Number), [status.pid]);
});

test('a stale socket left by kill -9 is replaced by a new daemon on the next call', async (t) => {
  const h = home();
  await h.ccx(['daemon', 'start']);
  const first = h.daemonPid()!;
  process.kill(first, 'SIGKILL');
  await waitFor(() => !isAlive(first), 5000, 'daemon to die');
  t.true(existsSync(join(h.dir, 'run', 'ccxd.sock')), 'socket file is left behind');
  const r = await h.ccx(['list', '--json']);
  t.is(r.code, 0, r.stderr);
  const second = h.daemonPid()!;
  t.not(second, first);
  t.true(isAlive(second));
});

test('a daemon of another version is refused with a clear error, stdout stays clean', async (t) => {
  const h = home();
  const started = await h.ccx(['daemon', 'start'], { env: { CCX_VERSION_OVERRIDE: '0.0.9' } });
  t.is(started.code, 0, started.stderr);
  const r = await h.ccx(['list', '--json']);
  t.is(r.code, 1);
  t.is(r.stdout, '', 'nothing on stdout with --json');
  const err = JSON.parse(r.stderr.trim()).error;
  t.is(err.code, 'E_VERSION');
  t.regex(err.message, /0\.1\.0/);
  t.regex(err.message, /0\.0\.9/);
  t.regex(err.hint, /ccx daemon restart/);
  const human = await h.ccx(['list']);
  t.regex(human.stderr, /hint: .*ccx daemon restart/);
  // The suggested fix works.
  const restart = await h.ccx(['daemon', 'restart']);
  t.is(restart.code, 0, restart.stderr);
  t.is((await h.ccx(['list'])).code, 0);
});

test('a daemon that cannot start is reported as soon as it exits: exit 4, its error, where its log is', async (t) => {
  const h = home();
  // A directory where the start lock file goes: the daemon cannot take the lock.
  mkdirSync(join(h.dir, 'state', 'daemon.lock'), { recursive: true });
  // The deadline is far beyond the harness's 60 s kill, so only noticing the exit can make this pass.
  const r = await h.ccx(['list', '--json'], { env: { CCX_START_TIMEOUT_MS: '600000' } });
  t.is(r.code, 4, r.stderr);
  t.is(r.stdout, '');
  const err = JSON.parse(r.stderr.trim()).error;
  t.is(err.code, 'E_DAEMON_UNAVAILABLE');
  t.regex(err.message, /could not start \(exit 1\).*cannot take the start lock/);
  t.true(err.hint.includes(join(h.dir, 'state', 'daemon.log')), err.hint);
  t.is(h.daemonPid(), undefined, 'no daemon registered');
});
