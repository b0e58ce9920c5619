/** Unit tests of packages/daemon/src/webhooks/output-batcher.ts: output byte ranges into few webhook batches. */
import test from 'ava';
import { completeUtf8Length, OutputBatcher, type OutputBatch } from '../../packages/daemon/src/webhooks/output-batcher.js';

/** A batcher over one in-memory "output log" per session; `firstOffset` plays a log whose start rotated away. */
function harness(opts: { batchMs?: number; batchBytes?: number; firstOffset?: number } = {}) {
  const logs = new Map<string, Buffer>();
  const batches: OutputBatch[] = [];
  const firstOffset = opts.firstOffset ?? 0;
  const batcher = new OutputBatcher({
    batchMs: opts.batchMs ?? 60_000,
    batchBytes: opts.batchBytes ?? 1_000,
    read: (id, offset, maxBytes) => {
      const log = logs.get(id);
      if (!log) return undefined;
      const from = Math.max(offset, firstOffset);
      return { offset: from, data: log.subarray(from, Math.min(log.length, from + maxBytes)) };
    },
    emit: (b) => batches.push(b),
  });
  /** Appends to the session's log and tells the batcher, as the output path does. */
  const write = (id: string, bytes: Buffer | string): void => {
    const before = logs.get(id) ?? Buffer.alloc(0);
    const data = Buffer.from(bytes);
    logs.set(id, Buffer.concat([before, data]));
    batcher.add(id, before.length, data.length);
  };
  return { batcher, batches, write, logs };
}

test('completeUtf8Length: a prefix never ends inside a character', (t) => {
  const check = Buffer.from('aé✓😀');
  t.is(completeUtf8Length(check), check.length);
  t.is(completeUtf8Length(check.subarray(0, 2)), 1, 'lead byte of é alone');
  t.is(completeUtf8Length(check.subarray(0, 5)), 3, 'two of the three bytes of ✓');
  t.is(completeUtf8Length(check.subarray(0, check.length - 1)), 6, 'three of the four bytes of 😀');
  t.is(completeUtf8Length(Buffer.alloc(0)), 0);
});

test('completeUtf8Length: bytes that are not UTF-8 are not held back', (t) => {
  t.is(completeUtf8Length(Buffer.from([0x41, 0x80, 0x80, 0x80, 0x80])), 5);
  t.is(completeUtf8Length(Buffer.from([0xff])), 1);
});

test('small writes collect into one batch until flushed', (t) => {
  const { batcher, batches, write } = harness();
  write('s', 'one ');
  write('s', 'two ');
  write('s', 'three');
  t.is(batches.length, 0, 'nothing is sent before the batch time');
  batcher.flush('s', false);
  t.deepEqual(batches, [{ sessionId: 's', offset: 0, bytes: 13, text: 'one two three', skipped: 0 }]);
});

test('batchBytes waiting sends at once, in pieces of at most batchBytes', (t) => {
  const { batches, write } = harness({ batchBytes: 4 });
  write('s', 'abcdefghij');
  t.deepEqual(batches.map((b) => b.text), ['abcd', 'efgh', 'ij']);
  t.deepEqual(batches.map((b) => b.offset), [0, 4, 8]);
});

test('the batch time sends what waits', async (t) => {
  const { batches, write } = harness({ batchMs: 20 });
  write('s', 'tick');
  const deadline = Date.now() + 10_000;
  while (batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(batches.map((b) => b.text), ['tick']);
});

test('a character split at the end of a batch is held for the next one', (t) => {
  const { batcher, batches, write } = harness();
  const check = Buffer.from('ok ✓');
  write('s', check.subarray(0, check.length - 1));
  batcher.flush('s', false);
  t.deepEqual(batches.map((b) => b.text), ['ok ']);
  write('s', check.subarray(check.length - 1));
  batcher.flush('s', false);
  t.deepEqual(batches.map((b) => b.text), ['ok ', '✓']);
  t.is(batches[1]!.offset, 3);
});

test('a final flush sends an incomplete character as it is', (t) => {
  const { batcher, batches, write } = harness();
  write('s', Buffer.from([0x61, 0xe2, 0x9c]));
  batcher.flush('s', true);
  t.is(batches.length, 1);
  t.is(batches[0]!.bytes, 3);
});

test('bytes that rotated out of the log before they were read are reported as skipped', (t) => {
  const { batcher, batches, write } = harness({ firstOffset: 4 });
  write('s', 'lost kept');
  batcher.flush('s', false);
  t.deepEqual(batches, [{ sessionId: 's', offset: 4, bytes: 5, text: ' kept', skipped: 4 }]);
});

test('sessions are batched apart', (t) => {
  const { batcher, batches, write } = harness();
  write('a', 'for a');
  write('b', 'for b');
  batcher.flushAll();
  t.deepEqual(batches.map((b) => [b.sessionId, b.text]).sort(), [['a', 'for a'], ['b', 'for b']]);
});

test('a session whose log is gone sends nothing', (t) => {
  const { batcher, batches, write, logs } = harness();
  write('s', 'text');
  logs.delete('s');
  batcher.flush('s', false);
  t.deepEqual(batches, []);
});

test('dispose drops what waits and its timers', async (t) => {
  const { batcher, batches, write } = harness({ batchMs: 10 });
  write('s', 'never sent');
  batcher.dispose();
  await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(batches, []);
});
