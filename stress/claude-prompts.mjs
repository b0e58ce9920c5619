// Drill 8 — the 100-prompt run of issue 14 (B.1, B.4): the real Claude Code
// TUI (the pinned dev dependency of test/), offline against the fake
// Messages API (test/fixtures/fake-anthropic.mjs on 127.0.0.1, also its
// proxy, refusing every CONNECT), gets `prompts` prompts through `send
// --wait`: the first right after `start` (no --wait-ready), a long one (over
// 1,200 characters) and multi-line ones among them. Each must be submitted
// (the fake model was asked it) and answered (its exact answer came back).
// The test suite runs 20 of them (test/claude-prompts.test.ts); this is the
// full run, about 2.5 s a prompt on a loaded 2-core machine.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLAUDE_BIN, claudeEnv, claudeHome, envArgs, makeHome } from '../packages/testkit/dist/index.js';
import { Report } from './lib/report.mjs';
import { startFakeAnthropic } from '../test/fixtures/fake-anthropic.mjs';

export const CLAUDE_DEFAULTS = { prompts: 100, seed: 1 };
export const CLAUDE_SMOKE = { prompts: 5, seed: 1 };

/** Where the long prompt goes (and the one right after start is the first). */
const LONG_AT = 12;

/**
 * The prompts and the answer each must bring back (`send --wait` prints
 * the answer Claude Code drew): `say X` → X; Claude Code hands a long
 * paste to the model wrapped in <pasted_content>, which the fake echoes.
 */
export function claudePrompts(count) {
  const long = `say ${Array.from({ length: 280 }, (_, i) => `w${i}`).join(' ')} long-end`;
  return Array.from({ length: count }, (_, i) => {
    if (i === LONG_AT) return { text: long, answer: /^echo: <pasted_content[^>]*>\nsay w0 w1 [\s\S]* long-end\n<\/pasted_content/ };
    if (i % 10 === 5) return { text: `say line one of ${i}\nline two of ${i}`, answer: `line one of ${i}\nline two of ${i}` };
    return { text: `say answer-${i}`, answer: `answer-${i}` };
  });
}

export function answered(prompt, output) {
  return typeof prompt.answer === 'string' ? output === prompt.answer : prompt.answer.test(output);
}

/** Whether the fake model was asked this prompt among `requests` (its last line in the request). */
export function submitted(prompt, requests) {
  const lastLine = prompt.text.split('\n').at(-1);
  return requests.some((q) => JSON.stringify(q.body ?? {}).includes(lastLine));
}

export async function claudePromptsDrill(options = {}) {
  const opts = { ...CLAUDE_DEFAULTS, ...options };
  const report = new Report('claude TUI prompts');
  const home = makeHome('ccxcp-');
  const api = await startFakeAnthropic();
  try {
    const claudeDir = claudeHome(home.dir);
    const work = join(home.dir, 'work');
    mkdirSync(work, { recursive: true });
    const prompts = claudePrompts(opts.prompts);
    report.check('the long prompt is over 1,200 characters', prompts.length <= LONG_AT || prompts[LONG_AT].text.length >= 1200);
    // No --wait-ready: the first send must wait for Claude Code to be ready, then see it take the prompt.
    const start = await home.ccx(['start', '--name', 'cc', '--cwd', work, '--cols', '100', '--rows', '30', '--preset', 'claude', ...envArgs(claudeEnv(api, claudeDir)), '--', CLAUDE_BIN]);
    if (!report.check('start', start.code === 0, start.stderr)) return report.finish();
    const t0 = performance.now();
    let sub = 0;
    let ans = 0;
    let resubmitted = 0;
    const misses = [];
    for (const [i, p] of prompts.entries()) {
      const asked = api.requests.length;
      const r = await home.ccx(['send', 'cc', p.text, '--wait', '--timeout', '90', '--json'], { timeoutMs: 120_000 });
      let result;
      try {
        result = JSON.parse(r.stdout);
      } catch {
        misses.push(`${i}: exit ${r.code} ${r.stderr.trim().slice(0, 120)}`);
        continue;
      }
      resubmitted += result.resubmitted ?? 0;
      if (submitted(p, api.requests.slice(asked))) sub++;
      if (answered(p, result.wait?.output ?? '')) ans++;
      else misses.push(`${i}: ${result.wait?.reason} ${JSON.stringify((result.wait?.output ?? '').slice(0, 120))}`);
    }
    report.figure('prompts', prompts.length);
    report.figure('submitted', sub);
    report.figure('answeredExactly', ans);
    report.figure('enterResent', resubmitted);
    report.figure('secondsPerPrompt', Math.round((performance.now() - t0) / prompts.length) / 1000);
    report.check(`all ${prompts.length} submitted`, sub === prompts.length, `${sub}/${prompts.length}`);
    report.check(`all ${prompts.length} answered exactly`, ans === prompts.length, misses.slice(0, 5));
    await home.ccx(['kill', 'cc']);
  } finally {
    await home.cleanup();
    await api.close();
  }
  return report.finish();
}
