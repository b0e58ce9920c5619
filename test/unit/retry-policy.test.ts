/** Unit tests of packages/daemon/src/webhooks/retry-policy.ts: which answers are retried, and how long to wait. */
import test from 'ava';
import type { PostResult } from '../../packages/daemon/src/webhooks/http-post.js';
import { classify as classifyResult, retryDelayMs } from '../../packages/daemon/src/webhooks/retry-policy.js';

/** A POST outcome with only the fields classify reads. */
const classify = (r: Omit<PostResult, 'ms'>) => classifyResult({ ms: 1, ...r });

test('a 2xx answer is delivered', (t) => {
  for (const status of [200, 201, 204, 299]) t.is(classify({ status }), 'delivered', String(status));
});

test('no answer at all (network error, timeout) is retried', (t) => {
  t.is(classify({ error: 'ECONNREFUSED' }), 'retry');
  t.is(classify({}), 'retry');
});

test('5xx, 408 and 429 are retried', (t) => {
  for (const status of [500, 502, 503, 599, 408, 429]) t.is(classify({ status }), 'retry', String(status));
});

test('any other status (3xx, 4xx) is rejected for good', (t) => {
  for (const status of [100, 301, 302, 400, 401, 403, 404, 410, 422]) t.is(classify({ status }), 'rejected', String(status));
});

const top = (): number => 1; // jitter at its top: the nominal delay itself

test('the nominal delay doubles per failure from the base, up to the maximum', (t) => {
  t.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 1_000, 10_000, top)), [1_000, 2_000, 4_000, 8_000, 10_000]);
});

test('a huge failure count gives the maximum delay', (t) => {
  t.is(retryDelayMs(1_000, 1_000, 300_000, top), 300_000, 'a huge failure count neither overflows nor passes the maximum');
});

test('jitter keeps the delay between half and all of the nominal delay', (t) => {
  t.is(retryDelayMs(3, 1_000, 60_000, () => 0), 2_000);
  t.is(retryDelayMs(3, 1_000, 60_000, () => 0.5), 3_000);
  t.is(retryDelayMs(3, 1_000, 60_000, () => 0.999_999), 4_000);
});

test('zero or negative failures count as the first', (t) => {
  t.is(retryDelayMs(0, 1_000, 60_000, () => 1), 1_000);
  t.is(retryDelayMs(-3, 1_000, 60_000, () => 1), 1_000);
});

test("a receiver's Retry-After lengthens the delay, but never past the maximum", (t) => {
  t.is(retryDelayMs(1, 1_000, 60_000, () => 0, 30_000), 30_000);
  t.is(retryDelayMs(1, 1_000, 60_000, () => 0, 3_600_000), 60_000);
  t.is(retryDelayMs(4, 1_000, 60_000, () => 1, 10), 8_000, 'a shorter Retry-After does not shorten the backoff');
});
