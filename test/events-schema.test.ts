/**
 * Events are a public contract (issue 13, point 2): one schema per type in
 * packages/shared/src/schemas.ts, the reference in docs/events.md generated
 * from it, and what a real daemon publishes parses with it.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CcxEventSchema } from '@ccx/shared/schemas';
import { ccxOk, homesFor, ROOT, startSession } from './helpers/ccx.js';

const home = homesFor(test);

test('docs/events.md is what the event schemas generate (node scripts/gen-events-doc.mjs)', async (t) => {
  const { renderEventsDoc } = (await import(join(ROOT, 'scripts', 'gen-events-doc.mjs'))) as { renderEventsDoc: () => Promise<string> };
  const generated = await renderEventsDoc();
  t.true(generated.includes('## `process-exit`'), 'the generator lists the event types');
  t.is(readFileSync(join(ROOT, 'docs', 'events.md'), 'utf8'), generated, 'docs/events.md is stale: run node scripts/gen-events-doc.mjs');
});

test('every event of a shell session (start, send, resize, cancel, rm, daemon stop) parses with the strict event schema', async (t) => {
  const h = home();
  const info = await startSession(h, ['--name', 'ev', '--preset', 'shell', '--wait-ready', '--timeout', '60', '--', 'bash', '--norc', '--noprofile']);
  await ccxOk(h, ['send', 'ev', '--wait', '--timeout', '60', '--', 'echo', 'schema-$((6*7))']);
  await ccxOk(h, ['send', 'ev', '--key', 'C-c']);
  await ccxOk(h, ['resize', 'ev', '100x30']);
  await ccxOk(h, ['cancel', 'ev']);
  await ccxOk(h, ['rm', 'ev']);
  await ccxOk(h, ['daemon', 'stop']);
  // A new daemon starts for this command: daemon-started again, after the first one's daemon-stopping.
  const lines = (await ccxOk(h, ['events', '--json'])).split('\n');
  const types = new Set<string>();
  for (const line of lines) {
    const parsed = CcxEventSchema.safeParse(JSON.parse(line));
    t.true(parsed.success, `${line}\n${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
    if (parsed.success) types.add(parsed.data.type);
  }
  for (const type of ['daemon-started', 'session-created', 'session-started', 'session-status', 'input-sent', 'session-resized', 'cancel-initiated', 'process-exit', 'session-removed', 'daemon-stopping']) {
    t.true(types.has(type), `no ${type} event among: ${[...types].join(', ')} (session ${info.id})`);
  }
});
