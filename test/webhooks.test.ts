import test from 'ava';
import type { HookInfo, HookStatus } from '@ccx/shared';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catLifecycle as lifecycle, ccxOk as ok, isAlive, makeHome, parseJson, waitFor, type Home, once } from './helpers/ccx.js';
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

async function hookStatus(h: Home): Promise<HookStatus[]> {
  return parseJson<HookStatus[]>(await h.ccx(['hooks', 'status', '--json']));
}

/** The status of the only (first) webhook; throws when there is none. */
async function firstHook(h: Home): Promise<HookStatus> {
  const [first] = await hookStatus(h);
  if (!first) throw new Error('hooks status lists no webhook');
  return first;
}

/**
 * A status-level hook with a secret and a header (label ci), one session's
 * lifecycle delivered; then what hooks list, daemon status, hooks test and
 * hooks rm said, the config file and the daemon log.
 */
const statusHookStory = once(async () => {
  const h = home();
  const r = await receiver();
  const hookId = await ok(h, ['hooks', 'add', r.url, '--secret', '-', '--header', 'Authorization: Bearer tok-123', '--label', 'ci'], 's3cret\n');
  const id = await lifecycle(h, 'life');
  await waitFor(() => r.accepted().some((q) => q.json.event.type === 'session-status' && q.json.event.status === 'cancelled'), 20_000, 'cancelled status at the receiver');
  await waitFor(async () => (await hookStatus(h))[0]?.pending === 0, 10_000, 'outbox drained');
  const accepted = r.accepted();
  const got = accepted.map((q) => q.json);
  const logged = (await eventsOf(h, id)).filter((e) => LIFECYCLE.includes(e.type) && !(e.type === 'session-status' && e.activity));
  const list = await ok(h, ['hooks', 'list']);
  const listed = parseJson<HookInfo[]>(await h.ccx(['hooks', 'list', '--json']));
  const status = parseJson(await h.ccx(['daemon', 'status', '--json']));
  const statusText = await ok(h, ['daemon', 'status']);
  const test = parseJson(await h.ccx(['hooks', 'test', 'ci', '--json']));
  const lastRequest = r.requests.at(-1)!;
  const configFile = join(h.dir, 'config', 'config.json');
  const configMode = statSync(configFile).mode & 0o777;
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  const daemonLog = readFileSync(join(h.dir, 'state', 'daemon.log'), 'utf8');
  const removed = parseJson(await h.ccx(['hooks', 'rm', 'ci', '--json'])).removed;
  const listedAfter = parseJson(await h.ccx(['hooks', 'list', '--json']));
  return { hookId, id, accepted, got, logged, list, listed, status, statusText, test, lastRequest, configMode, config, daemonLog, removed, listedAfter };
});

test('lifecycle at status level arrives exactly, in order', async (t) => {
  const { hookId, id, got, logged } = await statusHookStory();
  t.deepEqual(
    got.map((p) => p.event.type),
    LIFECYCLE,
  );
  t.true(got.every((p) => p.event.sessionId === id && p.session.id === id && p.session.name === 'life' && p.hook === hookId && p.label === 'ci'));
  t.is(got[4].event.status, 'cancelled');
  // The same events, with the same seqs, as the events log has for this session.
  t.deepEqual(
    got.map((p) => p.event.seq),
    logged.map((e) => e.seq),
  );
  t.is(new Set(got.map((p) => p.id)).size, got.length, 'a delivery id per delivery');
});

test('each delivery is signed with the hook secret, with its headers', async (t) => {
  const { accepted } = await statusHookStory();
  for (const q of accepted) {
    t.true(signatureValid(q, 's3cret'), 'signature is an HMAC-SHA256 of the body');
    t.false(signatureValid(q, 'wrong'));
    t.is(q.headers['x-ccx-delivery'], q.json.id);
    t.is(q.headers.authorization, 'Bearer tok-123');
    t.is(q.headers['content-type'], 'application/json');
  }
});

test('hooks list masks secrets, header values', async (t) => {
  const { hookId, list, listed } = await statusHookStory();
  t.regex(list, /Authorization: \*\*\*\*/);
  t.notRegex(list, /tok-123|s3cret/);
  t.deepEqual(listed.map((x) => [x.id, x.label, x.level, x.secret, x.headers]), [[hookId, 'ci', 'status', true, ['Authorization: ****']]]);
});

test('daemon status counts the deliveries of each hook', async (t) => {
  const { hookId, status, statusText } = await statusHookStory();
  t.like(status.webhooks[0], { id: hookId, delivered: 5, failed: 0, pending: 0, dropped: 0, lastError: null });
  t.regex(statusText, /webhook\s+ci idle: 5 delivered, 0 failed, 0 pending/);
});

test('hooks test sends a ping', async (t) => {
  const { test: pinged, lastRequest } = await statusHookStory();
  t.like(pinged, { ok: true, status: 200 });
  t.is(lastRequest.json.event.type, 'ping');
});

test('hook secrets live only in the config file (mode 0600), never in the daemon log', async (t) => {
  const { configMode, config, daemonLog } = await statusHookStory();
  // Secrets live only in the config file (mode 0600), never in the daemon log.
  t.is(configMode, 0o600);
  t.is(config.webhooks[0].secret, 's3cret');
  t.notRegex(daemonLog, /tok-123|s3cret/);
});

test('hooks rm removes the hook', async (t) => {
  const { hookId, removed, listedAfter } = await statusHookStory();
  t.deepEqual(removed, [hookId]);
  t.deepEqual(listedAfter, []);
});

/** A hook whose receiver refused connections, then answered 500 four times, then accepted: 15 lifecycle events delivered. */
const flakyReceiverStory = once(async () => {
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
  const down = await waitFor(async () => {
    const s = await firstHook(h);
    return s.failed >= 3 && s.pending === 15 && s;
  }, 20_000, 'failed attempts while the receiver is down');

  let errors = 0;
  r.answer = () => (errors++ < 4 ? 500 : 200);
  await r.listen();
  await waitFor(() => r.accepted().length >= 15, 30_000, '15 accepted deliveries');
  await waitFor(async () => (await firstHook(h)).pending === 0, 10_000, 'outbox drained');

  const accepted = r.accepted().map((q) => q.json);
  const refused = r.requests.filter((q) => q.answered === 500);
  const final = await firstHook(h);
  return { r, expected, down, accepted, refused, final };
});

test('through a receiver that refused connections, answered 500, came back up, every event arrives once, in order', async (t) => {
  const { r, expected, accepted, refused, final } = await flakyReceiverStory();
  t.is(expected.length, 15);
  t.deepEqual(
    accepted.map((p) => p.event.seq),
    expected,
    'accepted deliveries: each event once, in seq order',
  );
  t.is(new Set(accepted.map((p) => p.id)).size, 15);
  const deduped = [...new Map(r.requests.map((q) => [q.json.id, q.json.event.seq])).values()];
  t.deepEqual(deduped, expected, 'deduplicated by id: nothing missing, nothing extra');
  t.like(final, { delivered: 15, pending: 0, dropped: 0, rejected: 0 });
  t.log(`retry run: ${expected.length} events, ${r.requests.length} requests received (${refused.length} answered 500, ${r.accepted().length} accepted), ${final.failed} failed attempts in total (connection refused + 500)`);
});

test('hooks status shows the failed attempts of a receiver that refuses connections', async (t) => {
  const { down } = await flakyReceiverStory();
  t.regex(String(down.lastError?.message), /ECONNREFUSED/);
});

test('a retry of a refused delivery repeats its delivery id, its body', async (t) => {
  const { accepted, refused } = await flakyReceiverStory();
  // Every request beyond the accepted ones is a retry of a refused one: same delivery id, same body.
  t.is(refused.length, 4);
  for (const q of refused) t.true(accepted.some((p) => p.id === q.json.id && JSON.stringify(p) === q.body));
});

test('retries say which attempt they are', async (t) => {
  const { r } = await flakyReceiverStory();
  const attempts = r.requests.map((q) => Number(q.headers['x-ccx-attempt']));
  t.true(attempts.some((a) => a > 1), 'retries say which attempt they are');
});

test('daemon killed with kill -9 while deliveries are pending: delivered after the next start', async (t) => {
  const h = home();
  const r = await receiver();
  await r.stop();
  await ok(h, ['hooks', 'add', r.url, '--label', 'k9']);
  const id = await lifecycle(h, 'doomed');
  await waitFor(async () => {
    const s = await firstHook(h);
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

/** A hook with a 5-delivery outbox and its receiver down for two lifecycles, then up. */
const fullOutboxStory = once(async () => {
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
  const s = await firstHook(h);
  await r.listen();
  await waitFor(() => r.accepted().some((q) => q.json.event.type === 'webhook-dropped'), 20_000, 'the drop notice at the receiver');
  await waitFor(async () => (await firstHook(h)).pending === 0, 10_000, 'outbox drained');
  const seqs = r.accepted().map((q) => q.json.event.seq);
  return { hookId, dropped, s, seqs };
});

test('a full outbox drops the oldest deliveries, what is left arriving in order', async (t) => {
  const { s, seqs } = await fullOutboxStory();
  t.true(s.dropped >= 5 && s.pending <= 5, JSON.stringify(s));
  t.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'what is left still arrives in order');
});

test('a full outbox says what it dropped with a webhook-dropped event', async (t) => {
  const { hookId, dropped } = await fullOutboxStory();
  t.is(dropped[0].hookId, hookId);
  t.true(dropped[0].count >= 1);
});

/** A stream-level hook (300 ms batches) and a program printing 40 lines: the session's delivered events and output events. */
const streamLevelStory = once(async () => {
  const h = home({ webhookDelivery: { batchMs: 300 } });
  const r = await receiver();
  await ok(h, ['hooks', 'add', r.url, '--level', 'stream']);
  const id = await ok(h, ['start', '--', 'bash', '-c', 'for i in $(seq 1 40); do echo "line $i ✓"; sleep 0.02; done']);
  await waitFor(() => r.accepted().some((q) => q.json.event.type === 'process-exit'), 30_000, 'process-exit');
  await waitFor(async () => (await firstHook(h)).pending === 0, 10_000, 'outbox drained');
  const events = r.accepted().map((q) => q.json.event).filter((e) => e.sessionId === id);
  const outputs = events.filter((e) => e.type === 'session-output');
  return { events, outputs };
});

test('stream level: output arrives complete', async (t) => {
  const { outputs } = await streamLevelStory();
  const text = outputs.map((e) => e.text).join('');
  for (let i = 1; i <= 40; i++) t.true(text.includes(`line ${i} ✓\r\n`), `line ${i}`);
});

test('stream level: output arrives in contiguous batches', async (t) => {
  const { outputs } = await streamLevelStory();
  t.true(outputs.length < 20, `${outputs.length} output deliveries for 40 lines`);
  let offset = outputs[0].offset;
  for (const o of outputs) {
    t.is(o.offset, offset, 'batches are contiguous');
    offset += o.bytes;
  }
});

test('stream level: output arrives before the exit', async (t) => {
  const { events } = await streamLevelStory();
  const exitAt = events.findIndex((e) => e.type === 'process-exit');
  t.true(events.findLastIndex((e) => e.type === 'session-output') < exitAt, 'output before exit');
});

test('stream level includes the busy/idle status events', async (t) => {
  const { events } = await streamLevelStory();
  t.true(events.some((e) => e.type === 'session-status' && e.activity === 'busy'), 'stream includes busy/idle');
});
