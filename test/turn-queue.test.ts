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

/** A queue whose turn is held, and a noQueue request made while it is. */
async function heldWithNoQueueRequest(): Promise<{ q: InstanceType<typeof TurnQueue>; held: Awaited<ReturnType<InstanceType<typeof TurnQueue>['acquire']>>; refused: Promise<unknown> }> {
  const q = new TurnQueue();
  const held = await q.acquire({ label: 's', noQueue: true });
  const refused = q.acquire({ label: 's', noQueue: true });
  return { q, held, refused };
}

test('noQueue while taken is E_BUSY', async (t) => {
  const { refused } = await heldWithNoQueueRequest();
  const error = await t.throwsAsync(refused);
  t.is((error as { code?: string }).code, 'E_BUSY');
});

test('noQueue on a free session takes it at once', async (t) => {
  const { q, held, refused } = await heldWithNoQueueRequest();
  await refused.catch(() => undefined);
  held.dispose();
  held.dispose(); // twice is once
  (await q.acquire({ label: 's', noQueue: true })).dispose();
  t.is(q.length, 0);
});

/** A held turn, then a waiter that leaves (its client going away or its timeout), then one that stays. */
async function lineWithLeaver(leaver: { signal?: AbortSignal; timeoutMs?: number }): Promise<{ q: InstanceType<typeof TurnQueue>; held: { dispose(): void }; leaving: Promise<unknown>; staying: Promise<{ dispose(): void }> }> {
  const q = new TurnQueue();
  const held = await q.acquire({ label: 's' });
  const leaving = q.acquire({ label: 's', ...leaver });
  const staying = q.acquire({ label: 's' });
  return { q, held, leaving, staying };
}

test('a waiter whose client went away leaves the line', async (t) => {
  const gone = new AbortController();
  const { q, held, leaving, staying } = await lineWithLeaver({ signal: gone.signal });
  gone.abort();
  await t.throwsAsync(leaving);
  t.is(q.length, 2);
  held.dispose();
  (await staying).dispose();
  t.is(q.length, 0);
});

test('a waiter that timed out leaves the line with E_TIMEOUT', async (t) => {
  const { q, held, leaving, staying } = await lineWithLeaver({ timeoutMs: 10 });
  t.is(((await t.throwsAsync(leaving)) as { code?: string }).code, 'E_TIMEOUT');
  t.is(q.length, 2);
  held.dispose();
  (await staying).dispose();
  t.is(q.length, 0);
});
