/**
 * Events are a public contract (issue 13, point 2): one schema per type in
 * packages/shared/src/schemas.ts, the reference in docs/events.md generated
 * from it, and what a real daemon publishes parses with it.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CcxEventSchema } from '@ccx/shared/schemas';
import { ccxOk, homesFor, parseJson, ROOT, startSession, tempDirsFor, waitFor, type Home } from './helpers/ccx.js';
import { CLAUDE_BIN, claudeEnv, claudeHome, envArgs, fakeApiFor } from './helpers/claude.js';

const home = homesFor(test);
const tempDir = tempDirsFor(test, 'ccxe-');
const fakeApi = fakeApiFor(test);

/** Every line of `ccx events --json` parses with the strict schema; the types seen. */
async function parsedEventTypes(t: ExecutionContext, h: Home): Promise<Set<string>> {
  const lines = (await ccxOk(h, ['events', '--json'])).split('\n');
  const types = new Set<string>();
  for (const line of lines) {
    const parsed = CcxEventSchema.safeParse(JSON.parse(line));
    t.true(parsed.success, `${line}\n${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
    if (parsed.success) types.add(parsed.data.type);
  }
  return types;
}

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
  const types = await parsedEventTypes(t, h);
  for (const type of ['daemon-started', 'session-created', 'session-started', 'session-status', 'input-sent', 'session-resized', 'cancel-initiated', 'process-exit', 'session-removed', 'daemon-stopping']) {
    t.true(types.has(type), `no ${type} event among: ${[...types].join(', ')} (session ${info.id})`);
  }
});

test('every event of a structured agent session (turns, an approved approval, an expired one, cancel) parses with the strict event schema', async (t) => {
  const h = home();
  const work = mkdtempSync(join(tempDir(), 'w-'));
  // Long enough to answer the first request by hand on a loaded machine; the second is left to expire.
  const env = envArgs(claudeEnv(fakeApi(), claudeHome(tempDir())));
  const info = await startSession(h, ['--name', 'cc', '--agent', 'claude', '--permission-mode', 'default', '--approval-timeout', '30s', '--cwd', work, ...env, '--', CLAUDE_BIN]);
  t.is((await ccxOk(h, ['send', 'cc', '--wait', '--timeout', '120', 'say schema check'])), 'schema check');
  const approved = h.ccx(['send', 'cc', '--wait', '--timeout', '120', `run touch ${join(work, 'approved')}`]);
  await waitFor(async () => parseJson(await h.ccx(['approvals', 'cc', '--json'])).approvals[0], 90_000, 'an approval request');
  await ccxOk(h, ['approve', 'cc']);
  t.is((await approved).code, 0);
  await ccxOk(h, ['send', 'cc', '--wait', '--timeout', '150', `run touch ${join(work, 'expired')}`]);
  await ccxOk(h, ['cancel', 'cc']);
  await ccxOk(h, ['rm', 'cc']);
  const types = await parsedEventTypes(t, h);
  for (const type of ['session-created', 'session-started', 'session-status', 'input-sent', 'agent-message', 'approval-request', 'approval-confirmed', 'approval-expired', 'turn-completed', 'process-exit', 'session-removed']) {
    t.true(types.has(type), `no ${type} event among: ${[...types].join(', ')} (session ${info.id})`);
  }
});
