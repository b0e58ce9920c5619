/**
 * The prompt run of issue 14 (B.1, B.4), at the test suite's scale: the
 * real Claude Code TUI, offline against the fake Messages API, gets 20
 * prompts through `send --wait` — the first right after `start` (no
 * --wait-ready), a long one (over 1,200 characters) and multi-line ones
 * among them — and each must be submitted (the fake model was asked it)
 * and answered (its exact answer came back). The 100-prompt run is the
 * `claude-prompts` drill of `pnpm stress` (stress/claude-prompts.mjs),
 * with the same prompts and checks.
 */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { homesFor, parseJson, tempDirsFor } from './helpers/ccx.js';
import { claudeHome, claudeStartArgs, fakeApiFor, throttledClaudeStart } from './helpers/claude.js';
// @ts-expect-error: a plain ES module, no type declarations
import { answered, claudePrompts, submitted } from '../stress/claude-prompts.mjs';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxp-');
const fakeApi = fakeApiFor(test);

const PROMPTS = 20;

test('20 prompts to the real Claude Code TUI (the first right after start, long or multi-line ones among them): each submitted, answered exactly', async (t) => {
  t.timeout(10 * 60_000);
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const all: Array<{ text: string }> = claudePrompts(PROMPTS);
  t.true(all.some((p) => p.text.length >= 1200) && all.some((p) => p.text.includes('\n')), 'a long and a multi-line prompt are among them');
  // No --wait-ready: the first send must wait for Claude Code to be ready, then see it take the prompt.
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()), { ready: false })));
  t.is(started.code, 0, started.stderr);
  const t0 = Date.now();
  let sub = 0;
  let ans = 0;
  let resubmitted = 0;
  for (const [i, p] of all.entries()) {
    const asked = fakeApi().requests.length;
    const r = await h.ccx(['send', 'cc', p.text, '--wait', '--timeout', '90', '--json']);
    t.is(r.code, 0, r.stderr);
    const result = parseJson(r);
    resubmitted += result.resubmitted ?? 0;
    if (submitted(p, fakeApi().requests.slice(asked))) sub++;
    if (answered(p, result.wait.output ?? "")) ans++;
    else t.log(`prompt ${i} not answered as expected (${result.wait.reason}): ${JSON.stringify(String(result.wait.output ?? result.wait.screen).slice(0, 200))}`);
  }
  t.log(`claude TUI: ${sub}/${PROMPTS} submitted, ${ans}/${PROMPTS} answered exactly, ${resubmitted} Enter re-sent, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t.is(sub, PROMPTS);
  t.is(ans, PROMPTS);
  await h.ccx(['kill', 'cc']);
});
