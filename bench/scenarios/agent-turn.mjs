// 8. Agent turn overhead: the real Claude Code TUI (the pinned dev
// dependency) in a ccx session, offline against the fake Messages API
// (test/fixtures/fake-anthropic.mjs). For each `ccx send cc 'say …' --wait`:
// the wall time of the command, and the overhead — from the moment the fake
// sent the answer's last byte to the moment the command had printed it.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ms } from '../lib/format.mjs';
import { CCX_BIN, ROOT } from '../../packages/testkit/dist/index.js';
import { timeOk } from '../lib/proc.mjs';
import { summarize } from '../lib/stats.mjs';
import { startFakeAnthropic } from '../../test/fixtures/fake-anthropic.mjs';

export const id = 'agent-turn';
export const title = '8. Agent turn overhead (Claude Code TUI)';
export const description =
  'The real Claude Code 2.1 TUI in a ccx session (`--preset claude`), offline against a fake Messages API on 127.0.0.1. Each run is `ccx send cc "say …" --wait`; overhead = when the command exited minus when the fake sent the last byte of its answer (so it holds Claude Code drawing the answer, its state file update, ccx reading it every 250 ms, and the CLI printing). Before this, `send --wait` waited out 3 s of screen quiet.';

const CLAUDE_BIN = join(ROOT, 'test', 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
const KEY = 'sk-ant-api03-ccx-bench-fixture-key-0123456789abcdefghij';

export async function run(ctx) {
  if (!existsSync(CLAUDE_BIN)) return { missing: 'Claude Code is not installed (test/ dev dependency)', targets: [{ target: 'TUI turn overhead p50 ≤ 0.5 s', measured: 'not measured', met: undefined }] };
  const api = await startFakeAnthropic();
  try {
    const home = ctx.newHome();
    const claudeHome = mkdtempSync(join(ctx.tmp, 'claude-'));
    writeFileSync(join(claudeHome, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, theme: 'dark', customApiKeyResponses: { approved: [KEY.slice(-20)], rejected: [] }, projects: { '/': { hasTrustDialogAccepted: true } } }));
    const env = {
      HOME: claudeHome, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: KEY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1', HTTPS_PROXY: api.url, HTTP_PROXY: api.url, NO_PROXY: '127.0.0.1',
    };
    const work = mkdtempSync(join(ctx.tmp, 'work-'));
    await home.run(['start', '--name', 'cc', '--cwd', work, '--cols', '100', '--rows', '30', '--preset', 'claude', '--wait-ready', '--timeout', '120', ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]), '--', CLAUDE_BIN], { timeoutMs: 150_000 });
    ctx.pids.track(home.daemonPid());
    const walls = [];
    const overheads = [];
    for (let i = 0; i < ctx.opts.agentTurnReps; i++) {
      const before = api.requests.length;
      const { ms: wall, stdout } = await timeOk(ctx.pids, process.execPath, [CCX_BIN, 'send', 'cc', `say turn-${i}`, '--wait', '--timeout', '60', '--json'], { env: home.env, timeoutMs: 90_000 });
      const endedAt = Date.now();
      const reason = JSON.parse(stdout).wait.reason;
      const answer = api.requests.slice(before).filter((r) => r.path === '/v1/messages' && r.doneAt !== undefined && Array.isArray(r.body.tools) && r.body.tools.length > 0).pop();
      walls.push(wall);
      if (answer && reason === 'turn-end') overheads.push(endedAt - answer.doneAt);
      else ctx.log(`agent-turn: run ${i} ended with ${reason}${answer ? '' : ' and no model request was seen'}`);
    }
    const wall = summarize(walls);
    const over = summarize(overheads.length ? overheads : [Number.NaN]);
    return {
      tables: [
        {
          columns: ['measure', 'median ms', 'p90 ms', 'min ms', 'runs'],
          rows: [
            ['`ccx send cc "say …" --wait` wall time', ms(wall.median), ms(wall.p90), ms(wall.min), wall.n],
            ['overhead after the model answered', ms(over.median), ms(over.p90), ms(over.min), overheads.length],
          ],
        },
      ],
      targets: [
        { target: 'TUI turn overhead p50 ≤ 0.5 s (was ~3.5 s: a 3 s quiet period)', measured: `${ms(over.median)} ms (p90 ${ms(over.p90)} ms, ${overheads.length}/${walls.length} runs ended by turn-end)`, met: overheads.length === walls.length && over.median <= 500 },
      ],
      data: { walls, overheads },
    };
  } finally {
    await api.close();
  }
}
