/** Unit tests of packages/daemon/src/router.ts resolveRequest: method lookup and params validation, before any handler runs. */
import test from 'ava';
import { resolveRequest, toErrorPayload, unary, type HandlerTable } from '../../packages/daemon/src/router.js';
import { CcxError } from '@ccx/shared';

const table: HandlerTable = {
  'session.list': unary(() => []),
  // Never called: these tests stop at params validation.
  'session.get': unary(() => {
    throw new Error('not called');
  }),
};

test('a known method resolves to its handler with the params as its schema parsed them', (t) => {
  const r = resolveRequest(table, 'session.get', { target: 'build' });
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.method, 'session.get');
  t.is(r.spec as unknown, table['session.get']);
  t.deepEqual(r.params, { target: 'build' });
});

test('missing params are validated as an empty object', (t) => {
  const r = resolveRequest(table, 'session.list', undefined);
  t.true(r.ok);
});

test('a method nobody declared is a protocol error that says to restart the daemon', (t) => {
  const r = resolveRequest(table, 'no.such.method', {});
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.code, 'E_PROTOCOL');
  t.regex(r.error.message, /unknown method: no\.such\.method/);
  t.regex(r.error.hint ?? '', /ccx daemon restart/);
});

test('a declared method without a handler in the table is unknown too', (t) => {
  const r = resolveRequest(table, 'session.send', { target: 'x', text: 'y' });
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'E_PROTOCOL');
});

test('names inherited from Object.prototype are not methods', (t) => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const r = resolveRequest(table, name, {});
    t.false(r.ok, name);
    if (!r.ok) t.is(r.error.code, 'E_PROTOCOL', name);
  }
});

test('an unknown method name is cut to 64 characters in the message', (t) => {
  const r = resolveRequest(table, 'x'.repeat(10_000), {});
  t.false(r.ok);
  if (!r.ok) t.true(r.error.message.length < 100, `${r.error.message.length} characters`);
});

test('params that do not match the schema are a usage error', (t) => {
  const r = resolveRequest(table, 'session.get', { target: 42 });
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.error.code, 'E_USAGE');
  t.truthy(r.error.hint);
});

test('toErrorPayload keeps a CcxError and turns anything else into E_INTERNAL', (t) => {
  t.deepEqual(toErrorPayload(new CcxError('E_NOT_FOUND', 'no session x', 'ccx list')), { code: 'E_NOT_FOUND', message: 'no session x', hint: 'ccx list' });
  const internal = toErrorPayload(new Error('boom'));
  t.is(internal.code, 'E_INTERNAL');
  t.is(internal.message, 'boom');
  t.is(toErrorPayload('a string').message, 'a string');
});
