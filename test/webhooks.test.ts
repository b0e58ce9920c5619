import test from 'ava';
import type { HookInfo } from '@ccx/shared';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catLifecycle as lifecycle, ccxOk as ok, isAlive, makeHome, parseJson, waitFor, type Home } from './helpers/ccx.js';
import { signatureValid, startReceiver, type Receiver } from './helpers/receiver.js';

const homes: Home[] = [];
const receivers: Receiver[] = [];
const home = (config: Record<string, unknown> = {}): Home => {
  const h = makeHome();
  homes.push(h);
  // Short retry delays: the tests exercise the backoff without waiting out real-world delays.
  writeConfig(h, { webhookDelivery: { retryBaseMs: 50, retryMaxMs: 300, ...(config.webhookDelivery as object) }, ...config });
  return h;
};
const receiver = async (): Promise<Receiver> => {
  const r = await startReceiver();
  receivers.push(r);
  return r;
};
test.after.always(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await Promise.all(homes.map((h) => h.cleanup()));
});

function writeConfig(h: Home, config: Record<string, unknown>): void {
  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify(config));
}

const LIFECYCLE = ['session-created', 'session-started', 'cancel-initiated', 'process-exit', 'session-status'];

/** Persisted events of a session, from `ccx events --json`. */
async function eventsOf(h: Home, id: string): Promise<Array<{ seq: number; type: string; [k: string]: unknown }>> {
  const out = await ok(h, ['events', id, '--json']);
  return out ? out.split('\n').map((l) => JSON.parse(l)) : [];
}

async function hookStatus(h: Home): Promise<any[]> {
  return parseJson(await h.ccx(['hooks', 'status', '--json']));
}

test('lifecycle at status level arrives exactly, in order, signed; secrets stay masked', async (t) => {
  const h = home();
  const r = await receiver();
  const hookId = await ok(h, ['hooks', 'add', r.url, '--secret', '-', '--header', 'Authorization: Bearer tok-123', '--label', 'ci'], 's3cret\n');
  const id = await lifecycle(h, 'life');
  await waitFor(() => r.accepted().some((q) => q.json.event.type === 'session-status' && q.json.event.status === 'cancelled'), 20_000, 'cancelled status at the receiver');
  await waitFor(async () => (await hookStatus(h))[0]?.pending === 0, 10_000, 'outbox drained');

  const got = r.accepted().map((q) => q.json);
  t.deepEqual(
    got.map((p) => p.event.type),
    LIFECYCLE,
  );
  t.true(got.every((p) => p.event.sessionId === id && p.session.id === id && p.session.name === 'life' && p.hook === hookId && p.label === 'ci'));
  t.is(got[4].event.status, 'cancelled');
  // The same events, with the same seqs, as the events log has for this session.
  const logged = (await eventsOf(h, id)).filter((e) => LIFECYCLE.includes(e.type) && !(e.type === 'session-status' && e.activity));
  t.deepEqual(
    got.map((p) => p.event.seq),
    logged.map((e) => e.seq),
  );
  for (const q of r.accepted()) {
    t.true(signatureValid(q, 's3cret'), 'signature is an HMAC-SHA256 of the body');
    t.false(signatureValid(q, 'wrong'));
    t.is(q.headers['x-ccx-delivery'], q.json.id);
    t.is(q.headers.authorization, 'Bearer tok-123');
    t.is(q.headers['content-type'], 'application/json');
  }
  t.is(new Set(got.map((p) => p.id)).size, got.length, 'a delivery id per delivery');

  const list = await ok(h, ['hooks', 'list']);
  t.regex(list, /Authorization: \*\*\*\*/);
  t.notRegex(list, /tok-123|s3cret/);
  const listed = parseJson<HookInfo[]>(await h.ccx(['hooks', 'list', '--json']));
  t.deepEqual(listed.map((x) => [x.id, x.label, x.level, x.secret, x.headers]), [[hookId, 'ci', 'status', true, ['Authorization: ****']]]);
  const status = parseJson(await h.ccx(['daemon', 'status', '--json']));
  t.like(status.webhooks[0], { id: hookId, delivered: 5, failed: 0, pending: 0, dropped: 0, lastError: null });
  t.regex(await ok(h, ['daemon', 'status']), /webhook\s+ci idle: 5 delivered, 0 failed, 0 pending/);
  const test = parseJson(await h.ccx(['hooks', 'test', 'ci', '--json']));
  t.like(test, { ok: true, status: 200 });
  t.is(r.requests.at(-1)!.json.event.type, 'ping');

  // Secrets live only in the config file (mode 0600), never in the daemon log.
  const configFile = join(h.dir, 'config', 'config.json');
  t.is(statSync(configFile).mode & 0o777, 0o600);
  t.is(JSON.parse(readFileSync(configFile, 'utf8')).webhooks[0].secret, 's3cret');
  const daemonLog = readFileSync(join(h.dir, 'state', 'daemon.log'), 'utf8');
  t.notRegex(daemonLog, /tok-123|s3cret/);

  t.deepEqual(parseJson(await h.ccx(['hooks', 'rm', 'ci', '--json'])).removed, [hookId]);
  t.deepEqual(parseJson(await h.ccx(['hooks', 'list', '--json'])), []);
});

test('receiver refusing connections, then answering 500, then up: every event arrives once, in order', async (t) => {
  const h = home();
  const r = await receiver();
  await r.stop(); // connection refused from here on
  await ok(h, ['hooks', 'add', r.url]);
  const ids = [await lifecycle(h, 'a'), await lifecycle(h, 'b'), await lifecycle(h, 'c')];
  const expected = (await Promise.all(ids.map((id) => eventsOf(h, id))))
    .flat()
    .filter((e) => LIFECYCLE.includes(e.type) && !(e.type === 'session-status' && e.activity))
    .map((e) => e.seq)
    .sort((a, b) => a - b);
  t.is(expected.length, 15);
  const down = await waitFor(async () => {
    const s = (await hookStatus(h))[0];
    return s.failed >= 3 && s.pending === 15 && s;
  }, 20_000, 'failed attempts while the receiver is down');
  t.regex(down.lastError.message, /ECONNREFUSED/);

  let errors = 0;
  r.answer = () => (errors++ < 4 ? 500 : 200);
  await r.listen();
  await waitFor(() => r.accepted().length >= 15, 30_000, '15 accepted deliveries');
  await waitFor(async () => (await hookStatus(h))[0].pending === 0, 10_000, 'outbox drained');

  const accepted = r.accepted().map((q) => q.json);
  t.deepEqual(
    accepted.map((p) => p.event.seq),
    expected,
    'accepted deliveries: each event once, in seq order',
  );
  t.is(new Set(accepted.map((p) => p.id)).size, 15);
  // Every request beyond the accepted ones is a retry of a refused one: same delivery id, same body.
  const refused = r.requests.filter((q) => q.answered === 500);
  t.is(refused.length, 4);
  for (const q of refused) t.true(accepted.some((p) => p.id === q.json.id && JSON.stringify(p) === q.body));
  const deduped = [...new Map(r.requests.map((q) => [q.json.id, q.json.event.seq])).values()];
  t.deepEqual(deduped, expected, 'deduplicated by id: nothing missing, nothing extra');
  const attempts = r.requests.map((q) => Number(q.headers['x-ccx-attempt']));
  t.true(attempts.some((a) => a > 1), 'retries say which attempt they are');
  const final = (await hookStatus(h))[0];
  t.like(final, { delivered: 15, pending: 0, dropped: 0, rejected: 0 });
  t.log(`retry run: ${expected.length} events, ${r.requests.length} requests received (${refused.length} answered 500, ${r.accepted().length} accepted), ${final.failed} failed attempts in total (connection refused + 500)`);
});

test('daemon killed with kill -9 while deliveries are pending: delivered after the next start', async (t) => {
  const h = home();
  const r = await receiver();
  await r.stop();
  await ok(h, ['hooks', 'add', r.url, '--label', 'k9']);
  const id = await lifecycle(h, 'doomed');
  await waitFor(async () => {
    const s = (await hookStatus(h))[0];
    return s.pending === 5 && s.failed >= 1;
  }, 20_000, 'five pending deliveries');
  const pending = (await eventsOf(h, id)).filter((e) => LIFECYCLE.includes(e.type) && !(e.type === 'session-status' && e.activity)).map((e) => e.seq);
  const pid = h.daemonPid()!;
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !isAlive(pid), 10_000, 'daemon to die');

  await r.listen();
  t.is((await h.ccx(['list'])).code, 0, 'the next command starts a new daemon');
  t.not(h.daemonPid(), pid);
  await waitFor(() => pending.every((seq) => r.accepted().some((q) => q.json.event.seq === seq)), 30_000, 'pending deliveries after restart');
  const accepted = r.accepted().map((q) => q.json.event);
  const before = accepted.filter((e) => e.sessionId === id);
  t.deepEqual(
    before.map((e) => e.seq),
    pending,
    'each pending delivery once, in order',
  );
  t.deepEqual(before.map((e) => e.type), LIFECYCLE);
  // The new daemon's start is a lifecycle event too, queued after what was pending.
  await waitFor(() => r.accepted().some((q) => q.json.event.type === 'daemon-started'), 10_000, 'daemon-started');
  t.true(r.accepted().findIndex((q) => q.json.event.type === 'daemon-started') >= before.length);
  t.log(`restart run: ${pending.length} deliveries pending at kill -9, ${before.length} delivered after restart, ${r.requests.length} requests in total`);
});

test('a receiver that never answers delays neither other subscribers nor the daemon', async (t) => {
  const h = home({ webhookDelivery: { timeoutMs: 120_000 } });
  const hang = await receiver();
  hang.answer = () => 'hang';
  const good = await receiver();
  await ok(h, ['hooks', 'add', hang.url, '--label', 'hang']);
  await ok(h, ['hooks', 'add', good.url, '--label', 'good']);
  const id1 = await lifecycle(h, 'one');
  const id2 = await lifecycle(h, 'two');
  await waitFor(() => good.accepted().length >= 10, 20_000, 'ten deliveries at the good receiver');
  t.deepEqual(
    good.accepted().map((q) => [q.json.event.sessionId, q.json.event.type]),
    [...LIFECYCLE.map((type) => [id1, type]), ...LIFECYCLE.map((type) => [id2, type])],
  );
  // The hanging receiver got its first request and is still holding it.
  await waitFor(() => hang.requests.length === 1, 10_000, 'the first request at the hanging receiver');
  t.is(hang.requests[0]!.answered, null);
  const list = await h.ccx(['list', '--json']);
  t.is(list.code, 0, 'the daemon still answers');
  const byLabel = Object.fromEntries((await hookStatus(h)).map((s) => [s.label, s]));
  t.like(byLabel.hang, { state: 'sending', delivered: 0, pending: 10 });
  t.like(byLabel.good, { delivered: 10, pending: 0 });
});

test('a full outbox drops the oldest deliveries and says so with a webhook-dropped event', async (t) => {
  const h = home({ webhookDelivery: { outboxMaxDeliveries: 5 } });
  const r = await receiver();
  await r.stop();
  const hookId = await ok(h, ['hooks', 'add', r.url, '--label', 'small']);
  await lifecycle(h, 'x');
  await lifecycle(h, 'y');
  const dropped = await waitFor(async () => {
    const out = await ok(h, ['events', '--type', 'webhook-dropped', '--json']);
    return out && out.split('\n').map((l) => JSON.parse(l));
  }, 20_000, 'a webhook-dropped event');
  t.is(dropped[0].hookId, hookId);
  t.true(dropped[0].count >= 1);
  const s = (await hookStatus(h))[0];
  t.true(s.dropped >= 5 && s.pending <= 5, JSON.stringify(s));
  await r.listen();
  await waitFor(() => r.accepted().some((q) => q.json.event.type === 'webhook-dropped'), 20_000, 'the drop notice at the receiver');
  await waitFor(async () => (await hookStatus(h))[0].pending === 0, 10_000, 'outbox drained');
  const seqs = r.accepted().map((q) => q.json.event.seq);
  t.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'what is left still arrives in order');
});

test('stream level: output arrives batched, complete, and before the exit', async (t) => {
  const h = home({ webhookDelivery: { batchMs: 300 } });
  const r = await receiver();
  await ok(h, ['hooks', 'add', r.url, '--level', 'stream']);
  const id = await ok(h, ['start', '--', 'bash', '-c', 'for i in $(seq 1 40); do echo "line $i ✓"; sleep 0.02; done']);
  await waitFor(() => r.accepted().some((q) => q.json.event.type === 'process-exit'), 30_000, 'process-exit');
  await waitFor(async () => (await hookStatus(h))[0].pending === 0, 10_000, 'outbox drained');
  const events = r.accepted().map((q) => q.json.event).filter((e) => e.sessionId === id);
  const outputs = events.filter((e) => e.type === 'session-output');
  const text = outputs.map((e) => e.text).join('');
  for (let i = 1; i <= 40; i++) t.true(text.includes(`line ${i} ✓\r\n`), `line ${i}`);
  t.true(outputs.length < 20, `${outputs.length} output deliveries for 40 lines`);
  let offset = outputs[0].offset;
  for (const o of outputs) {
    t.is(o.offset, offset, 'batches are contiguous');
    offset += o.bytes;
  }
  const exitAt = events.findIndex((e) => e.type === 'process-exit');
  t.true(events.findLastIndex((e: any) => e.type === 'session-output') < exitAt, 'output before exit');
  t.true(events.some((e) => e.type === 'session-status' && e.activity === 'busy'), 'stream includes busy/idle');
});
