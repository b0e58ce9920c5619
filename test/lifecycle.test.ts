/**
 * One lifecycle idiom (issue 13 point 4): the daemon registers its parts in
 * an AsyncDisposableStore as it builds them and ends them in reverse. Unit
 * tests of packages/daemon/src/disposable.ts, and of a session part that
 * returns a Disposable.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncDisposableStore } from '../packages/daemon/dist/disposable.js';
import { FileLogger } from '../packages/daemon/dist/logger.js';
import { ScreenHost } from '../packages/daemon/dist/session/screen-host.js';
import { waitFor } from './helpers/ccx.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('parts end in the reverse of the order they were registered in', async (t) => {
  const ended: string[] = [];
  const store = new AsyncDisposableStore(() => t.fail('no part failed'));
  for (const name of ['registry', 'server', 'sessions', 'home-watch']) store.add({ dispose: () => void ended.push(name) });
  await store.dispose();
  t.deepEqual(ended, ['home-watch', 'sessions', 'server', 'registry']);
});

test('a part that takes time is awaited before the part registered before it ends', async (t) => {
  const ended: string[] = [];
  const store = new AsyncDisposableStore(() => t.fail('no part failed'));
  store.add({ dispose: () => void ended.push('server') });
  store.add({
    dispose: async () => {
      await tick();
      await tick();
      ended.push('screen worker');
    },
  });
  await store.dispose();
  t.deepEqual(ended, ['screen worker', 'server']);
});

/** Disposes a store of four parts, the middle two of which reject and throw; what ended and what was reported. */
async function disposeWithFailingParts(): Promise<{ ended: string[]; errors: string[] }> {
  const ended: string[] = [];
  const errors: string[] = [];
  const store = new AsyncDisposableStore((error) => errors.push(String(error)));
  store.add({ dispose: () => void ended.push('first') });
  store.add({ dispose: () => Promise.reject(new Error('worker would not stop')) });
  store.add({ dispose: () => { throw new Error('cgroup gone'); } });
  store.add({ dispose: () => void ended.push('last') });
  await store.dispose();
  return { ended, errors };
}

test('a part that throws or rejects is reported', async (t) => {
  const { errors } = await disposeWithFailingParts();
  t.deepEqual(errors, ['Error: cgroup gone', 'Error: worker would not stop']);
});

test('the other parts still end when one throws or rejects', async (t) => {
  const { ended } = await disposeWithFailingParts();
  t.deepEqual(ended, ['last', 'first']);
});

/** Disposes a store twice at once, with one part added while the first dispose runs: how often the first part ended, and whether the late one did. */
async function disposeTwiceAddingLate(fail: () => void): Promise<{ ends: number; lateEnded: boolean }> {
  let ends = 0;
  const store = new AsyncDisposableStore(fail);
  store.add({ dispose: () => void ends++ });
  const first = store.dispose();
  const late = { ended: false };
  store.add({ dispose: () => void (late.ended = true) });
  await Promise.all([first, store.dispose()]);
  return { ends, lateEnded: late.ended };
}

test('disposing twice ends each part once', async (t) => {
  const { ends } = await disposeTwiceAddingLate(() => t.fail('no part failed'));
  t.is(ends, 1);
});

test('a part added while stopping ends at once', async (t) => {
  const { lateEnded } = await disposeTwiceAddingLate(() => t.fail('no part failed'));
  t.true(lateEnded);
});

test('a part that is not disposable itself is registered with how it ends', async (t) => {
  const closed: string[] = [];
  const store = new AsyncDisposableStore(() => t.fail('no part failed'));
  const server = { close: async () => void closed.push('closed') };
  t.is(store.add(server, (s) => s.close()), server);
  await store.dispose();
  t.deepEqual(closed, ['closed']);
});

test("a screen's reply subscription is a Disposable: once disposed, no answer to a terminal query reaches it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ccx-life-'));
  const screens = new ScreenHost({ logger: new FileLogger(join(dir, 'daemon.log'), 1 << 20) });
  t.teardown(async () => {
    await screens.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const screen = screens.open(80, 24);
  const first: string[] = [];
  const subscription = screen.onReply((data) => first.push(data));
  // DSR 6n: the screen answers with the cursor position.
  screen.write(Buffer.from('\x1b[6n'));
  await waitFor(() => first.length > 0, 30_000, 'the answer to the first query');
  t.regex(first.join(''), /\x1b\[1;1R/);
  subscription.dispose();
  screen.write(Buffer.from('\x1b[6n'));
  // Two questions asked one after the other: the worker posts a query's answer (on setImmediate) before it answers the second.
  await screen.bracketedPaste();
  await screen.bracketedPaste();
  t.is(first.length, 1);
});
