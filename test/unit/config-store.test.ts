/** Unit tests of packages/daemon/src/config/config-store.ts: the daemon's one reader of the config file and its freshness rule. */
import test from 'ava';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from '../../packages/daemon/src/config/config-store.js';

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
/** A config file path in a fresh directory, holding `doc` unless undefined. */
const configFile = (doc?: unknown): string => {
  const dir = mkdtempSync(join(tmpdir(), 'ccxc-'));
  dirs.push(dir);
  const file = join(dir, 'config.json');
  if (doc !== undefined) writeFileSync(file, JSON.stringify(doc));
  return file;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('a missing file is an empty config', (t) => {
  t.deepEqual(new ConfigStore(configFile()).current(), {});
});

test('the file is read at start', (t) => {
  t.deepEqual(new ConfigStore(configFile({ idleAfterMs: 5 })).current(), { idleAfterMs: 5 });
});

test('an unchanged file is not read again', (t) => {
  const store = new ConfigStore(configFile({ a: 1 }));
  t.is(store.current(), store.current(), 'the same document object: no re-read');
});

test('an in-place write of the same size is seen by the next read', (t) => {
  const file = configFile({ a: 1 });
  const store = new ConfigStore(file);
  const before = store.current();
  writeFileSync(file, JSON.stringify({ a: 2 }));
  t.deepEqual(store.current(), { a: 2 });
  t.not(store.current(), before);
});

test('a file replaced by a rename is seen by the next read', (t) => {
  const file = configFile({ a: 1 });
  const store = new ConfigStore(file);
  writeFileSync(`${file}.tmp`, JSON.stringify({ b: 1 }));
  renameSync(`${file}.tmp`, file);
  t.deepEqual(store.current(), { b: 1 });
});

test('a deleted file reads as an empty config', (t) => {
  const file = configFile({ a: 1 });
  const store = new ConfigStore(file);
  rmSync(file);
  t.deepEqual(store.current(), {});
});

test('a file that is not JSON throws a usage error naming it, on every read until it is fixed', (t) => {
  const file = configFile();
  writeFileSync(file, '{ nope');
  const store = new ConfigStore(file);
  for (let i = 0; i < 2; i++) {
    const error = t.throws(() => store.current()) as unknown as { code: string; message: string };
    t.is(error.code, 'E_USAGE');
    t.true(error.message.includes(file));
  }
  writeFileSync(file, '{"fixed": true}');
  t.deepEqual(store.current(), { fixed: true });
});

/** A store whose file had `keep` and `webhooks`, after update('webhooks', …). */
function updatedStore() {
  const file = configFile({ keep: 'me', webhooks: [] });
  const store = new ConfigStore(file);
  store.update('webhooks', [{ url: 'http://127.0.0.1/x' }]);
  return { file, store };
}

test('update replaces one key and keeps the others, seen by the store at once', (t) => {
  t.deepEqual(updatedStore().store.current(), { keep: 'me', webhooks: [{ url: 'http://127.0.0.1/x' }] });
});

test('update writes the file: a new store reads what it left', (t) => {
  const { file, store } = updatedStore();
  t.deepEqual(new ConfigStore(file).current(), store.current(), 'on disk too');
});

test('a listener hears of a hand edit from the poll, without any read', async (t) => {
  const file = configFile({ a: 1 });
  const store = new ConfigStore(file, 20);
  let calls = 0;
  const sub = store.onChange(() => calls++);
  writeFileSync(file, JSON.stringify({ a: 22 }));
  await until(() => calls > 0, 'the change to be reported');
  t.is(calls, 1);
  sub.dispose();
});

test('a change a reader saw first is still reported to listeners once', async (t) => {
  const file = configFile({ a: 1 });
  const store = new ConfigStore(file, 20);
  let calls = 0;
  const sub = store.onChange(() => calls++);
  store.update('a', 2);
  t.is(calls, 0, 'never from inside the writer’s call');
  await until(() => calls > 0, 'the change to be reported');
  await sleep(100);
  t.is(calls, 1);
  sub.dispose();
});

test('no change, no report', async (t) => {
  const store = new ConfigStore(configFile({ a: 1 }), 20);
  let calls = 0;
  const sub = store.onChange(() => calls++);
  await sleep(200);
  t.is(calls, 0);
  sub.dispose();
});

test('a disposed listener hears nothing more', async (t) => {
  const file = configFile({ a: 1 });
  const store = new ConfigStore(file, 20);
  let calls = 0;
  store.onChange(() => calls++).dispose();
  writeFileSync(file, JSON.stringify({ a: 3 }));
  await sleep(200);
  t.is(calls, 0);
});
