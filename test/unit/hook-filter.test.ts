/** Unit tests of packages/daemon/src/webhooks/hook-filter.ts: which events a webhook subscriber gets. */
import test from 'ava';
import type { CcxEvent, EventType } from '@ccx/shared';
import { hookWants, levelCovers } from '../../packages/daemon/src/webhooks/hook-filter.js';
import type { StoredHook } from '../../packages/daemon/src/webhooks/hook-config.js';

const hook = (extra: Partial<StoredHook> = {}): StoredHook => ({ id: 'aaaaaaaa', createdAt: '2026-01-01T00:00:00.000Z', url: 'http://127.0.0.1:1/hook', ...extra });
/** An event of `type`; the fields a filter reads are all it needs. */
const event = (type: EventType, extra: Record<string, unknown> = {}): CcxEvent => ({ seq: 1, type, time: '2026-01-01T00:00:00.000Z', sessionId: 's1', ...extra }) as CcxEvent;

test('status level: lifecycle events only', (t) => {
  for (const type of ['session-started', 'process-exit', 'session-removed', 'daemon-started'] as const) t.true(levelCovers('status', { type }), type);
  for (const type of ['input-sent', 'client-attached', 'session-output'] as const) t.false(levelCovers('status', { type }), type);
});

test('summary level adds input, attach, detach and resize', (t) => {
  for (const type of ['input-sent', 'client-attached', 'client-detached', 'session-resized', 'process-exit'] as const) t.true(levelCovers('summary', { type }), type);
  t.false(levelCovers('summary', { type: 'session-output' }));
});

test('stream level covers every event, output included', (t) => {
  t.true(levelCovers('stream', { type: 'session-output' }));
  t.true(levelCovers('stream', { type: 'session-status', activity: 'busy' }));
});

test('busy/idle status changes start at summary, other status changes are lifecycle', (t) => {
  t.false(levelCovers('status', { type: 'session-status', activity: 'idle' }));
  t.true(levelCovers('summary', { type: 'session-status', activity: 'idle' }));
  t.true(levelCovers('status', { type: 'session-status' }));
});

test('a hook without a level is a status hook', (t) => {
  t.true(hookWants(hook(), event('process-exit'), null));
  t.false(hookWants(hook(), event('input-sent'), null));
});

test('an events list keeps only the events it names', (t) => {
  const h = hook({ events: ['process-exit'] });
  t.true(hookWants(h, event('process-exit'), null));
  t.false(hookWants(h, event('session-started'), null));
});

test('an events list cannot widen the level', (t) => {
  t.false(hookWants(hook({ events: ['input-sent'] }), event('input-sent'), null));
});

test('a sessions list matches the event session by id or by current name', (t) => {
  t.true(hookWants(hook({ sessions: ['s1'] }), event('process-exit'), 'build'));
  t.true(hookWants(hook({ sessions: ['build'] }), event('process-exit'), 'build'));
  t.false(hookWants(hook({ sessions: ['other'] }), event('process-exit'), 'build'));
  t.false(hookWants(hook({ sessions: ['build'] }), event('process-exit'), null), 'a session without a name matches by id only');
});

test('a sessions list drops events of no session', (t) => {
  t.false(hookWants(hook({ sessions: ['s1'] }), event('daemon-started', { sessionId: undefined }), null));
});

test("a drop notice about the hook itself always passes its filters", (t) => {
  const h = hook({ events: ['process-exit'], sessions: ['elsewhere'] });
  t.true(hookWants(h, event('webhook-dropped', { hookId: 'aaaaaaaa', sessionId: undefined }), null));
  t.false(hookWants(h, event('webhook-dropped', { hookId: 'bbbbbbbb', sessionId: undefined }), null), "another hook's drop notice is filtered as usual");
});
