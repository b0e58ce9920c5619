/** Unit tests of packages/testkit/src/procs.ts: PidRegistry ends only the processes it tracked, never a pid reused since. */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readProcStat } from '@ccx/shared';
import { carriesHome, PidRegistry } from '../../packages/testkit/src/procs.js';

test('a tracked process that is still running is listed for teardown', async (t) => {
  const child = spawn('sleep', ['30']);
  t.teardown(() => child.kill('SIGKILL'));
  const registry = new PidRegistry();
  registry.track(child.pid);
  t.deepEqual(registry.pids(), [child.pid]);
  t.deepEqual(registry.killLeftovers(), [child.pid]);
  await once(child, 'exit');
});

test('a tracked process that ended is not listed, so its pid, if reused, is never signalled', async (t) => {
  const child = spawn('true');
  const registry = new PidRegistry();
  registry.track(child.pid);
  await once(child, 'exit');
  t.deepEqual(registry.pids(), []);
  t.deepEqual(registry.killLeftovers(), []);
});

test("a process's start time, what the registry tells processes apart by, is the same for one process and unreadable once it is gone", async (t) => {
  const child = spawn('sleep', ['30']);
  const started = readProcStat(child.pid!)?.startTime;
  t.true(typeof started === 'number' && started > 0);
  t.is(readProcStat(child.pid!)?.startTime, started);
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.is(readProcStat(child.pid!)?.startTime, undefined);
});

test('carriesHome matches the exact CCX_HOME of a process, not a longer one', async (t) => {
  const child = spawn('sleep', ['30'], { env: { ...process.env, CCX_HOME: '/tmp/ccxt-abcd' } });
  t.teardown(() => child.kill('SIGKILL'));
  t.true(carriesHome(child.pid!, '/tmp/ccxt-abcd'));
  t.false(carriesHome(child.pid!, '/tmp/ccxt-abc'));
});
