/** Unit tests of packages/daemon/src/webhooks/outbox.ts: a subscriber's pending deliveries, journaled on disk. */
import test from 'ava';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type OutboxEntry } from '../../packages/daemon/src/webhooks/outbox.js';

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const journal = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ccxu-'));
  dirs.push(d);
  return join(d, 'outbox.jsonl');
};
const entry = (id: string, body = `{"id":"${id}"}`): OutboxEntry => ({ id, type: 'process-exit', seq: 1, body, enqueuedAt: '2026-01-01T00:00:00.000Z' });
const roomy = { maxEntries: 100, maxBytes: 1_000_000 };
const ids = (box: Outbox): string[] => {
  const out: string[] = [];
  for (let e = box.head(); e; e = box.head()) {
    out.push(e.id);
    box.done(e.id);
  }
  return out;
};

test('entries come out in the order they went in', (t) => {
  const box = new Outbox(journal(), roomy);
  for (const id of ['a', 'b', 'c']) box.add(entry(id));
  t.is(box.size, 3);
  t.deepEqual(ids(box), ['a', 'b', 'c']);
  t.is(box.size, 0);
});

test('a reopened outbox holds what was added and not marked done', (t) => {
  const file = journal();
  const first = new Outbox(file, roomy);
  for (const id of ['a', 'b', 'c']) first.add(entry(id));
  first.done('b');
  t.deepEqual(ids(new Outbox(file, roomy)), ['a', 'c']);
});

test('an entry keeps its body byte for byte across a reopen', (t) => {
  const file = journal();
  const body = '{"text":"grün ✓ \\u0000 \\n"}';
  new Outbox(file, roomy).add(entry('a', body));
  t.is(new Outbox(file, roomy).head()?.body, body);
});

test('a torn last journal line (a crash mid-append) is skipped on load', (t) => {
  const file = journal();
  new Outbox(file, roomy).add(entry('a'));
  appendFileSync(file, '{"add":{"id":"b","ty');
  const box = new Outbox(file, roomy);
  t.deepEqual(ids(box), ['a']);
});

/** An outbox of at most 10 entries after 11 adds, and what the last add dropped. */
function overfullOutbox() {
  const box = new Outbox(journal(), { maxEntries: 10, maxBytes: 1_000_000 });
  let dropped: OutboxEntry[] = [];
  for (let i = 0; i < 11; i++) dropped = box.add(entry(`e${i}`));
  return { box, dropped };
}

test('past maxEntries the add returns the oldest entries it dropped', (t) => {
  t.deepEqual(overfullOutbox().dropped.map((e) => e.id), ['e0', 'e1']);
});

test('past maxEntries the oldest are dropped down to 90 %', (t) => {
  const { box } = overfullOutbox();
  t.is(box.size, 9);
  t.is(box.head()?.id, 'e2');
});

test('past maxBytes the oldest are dropped down to 90 % of it', (t) => {
  const box = new Outbox(journal(), { maxEntries: 100, maxBytes: 100 });
  box.add(entry('a', 'x'.repeat(40)));
  box.add(entry('b', 'x'.repeat(40)));
  const dropped = box.add(entry('c', 'x'.repeat(40)));
  t.deepEqual(dropped.map((e) => e.id), ['a'], '120 bytes: dropping a leaves 80, under 90');
  t.deepEqual(ids(box), ['b', 'c']);
});

test('the newest entry is kept even when it alone is over the limit', (t) => {
  const box = new Outbox(journal(), { maxEntries: 100, maxBytes: 10 });
  box.add(entry('a', 'small'));
  const dropped = box.add(entry('big', 'x'.repeat(50)));
  t.deepEqual(dropped.map((e) => e.id), ['a']);
  t.is(box.size, 1);
  t.is(box.head()?.id, 'big');
});

test('dropped entries stay dropped after a reopen', (t) => {
  const file = journal();
  const box = new Outbox(file, { maxEntries: 2, maxBytes: 1_000_000 });
  for (const id of ['a', 'b', 'c']) box.add(entry(id));
  t.deepEqual(ids(new Outbox(file, { maxEntries: 2, maxBytes: 1_000_000 })), ['c']);
});

test('marking an unknown id done changes nothing', (t) => {
  const box = new Outbox(journal(), roomy);
  box.add(entry('a'));
  box.done('nope');
  t.is(box.size, 1);
});

test('the journal is compacted: after many finished deliveries it holds only the pending ones', (t) => {
  const file = journal();
  const box = new Outbox(file, roomy);
  box.add(entry('keep'));
  for (let i = 0; i < 1_500; i++) {
    box.add(entry(`d${i}`));
    box.done(`d${i}`);
  }
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  t.true(lines.length < 1_100, `${lines.length} journal lines`);
  t.deepEqual(ids(new Outbox(file, roomy)), ['keep']);
});

test('destroy removes the journal', (t) => {
  const file = journal();
  const box = new Outbox(file, roomy);
  box.add(entry('a'));
  box.destroy();
  t.false(existsSync(file));
  t.is(box.size, 0);
});
