/** Unit tests of packages/daemon/src/session/turn-queue.ts: one session's turns, first come first served. */
import test from 'ava';
import { TurnQueue } from '../packages/daemon/dist/session/turn-queue.js';

test('turns are given in the order asked for, one at a time', async (t) => {
  const q = new TurnQueue();
  const order: string[] = [];
  const first = await q.acquire({ label: 's' });
  const second = q.acquire({ label: 's', onQueued: (ahead) => order.push(`queued behind ${ahead}`) }).then((turn) => (order.push('second'), turn));
  const third = q.acquire({ label: 's' }).then((turn) => (order.push('third'), turn));
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(order, ['queued behind 1']);
  t.is(q.length, 3);
  first.dispose();
  (await second).dispose();
  (await third).dispose();
  t.deepEqual(order, ['queued behind 1', 'second', 'third']);
  t.is(q.length, 0);
});

test('noQueue while taken is E_BUSY; a free session is taken at once', async (t) => {
  const q = new TurnQueue();
  const held = await q.acquire({ label: 's', noQueue: true });
  const error = await t.throwsAsync(q.acquire({ label: 's', noQueue: true }));
  t.is((error as { code?: string }).code, 'E_BUSY');
  held.dispose();
  held.dispose(); // twice is once
  (await q.acquire({ label: 's', noQueue: true })).dispose();
  t.is(q.length, 0);
});

test('a waiter whose client went away leaves the line; one that timed out too', async (t) => {
  const q = new TurnQueue();
  const held = await q.acquire({ label: 's' });
  const gone = new AbortController();
  const leaving = q.acquire({ label: 's', signal: gone.signal });
  const timing = q.acquire({ label: 's', timeoutMs: 10 });
  const staying = q.acquire({ label: 's' });
  gone.abort();
  await t.throwsAsync(leaving);
  t.is(((await t.throwsAsync(timing)) as { code?: string }).code, 'E_TIMEOUT');
  t.is(q.length, 2);
  held.dispose();
  (await staying).dispose();
  t.is(q.length, 0);
});
