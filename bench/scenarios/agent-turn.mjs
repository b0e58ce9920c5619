// 8. Agent turn overhead: the real Claude Code TUI (the pinned dev
// dependency) in a ccx session, offline against the fake Messages API
// (test/fixtures/fake-anthropic.mjs). For each `ccx send cc 'say …' --wait`:
// the wall time of the command, and the overhead — from the moment the fake
// sent the answer's last byte to the moment the command had printed it.
// The structured half does the same against `ccx start --agent claude`
// (Claude Code's stream-json protocol on pipes, no terminal).
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ms } from '../lib/format.mjs';
import { CCX_BIN, CLAUDE_BIN, claudeEnv, claudeHome, envArgs } from '../../packages/testkit/dist/index.js';
import { timeOk } from '../lib/proc.mjs';
import { summarize } from '../lib/stats.mjs';
import { startFakeAnthropic } from '../../test/fixtures/fake-anthropic.mjs';

export const id = 'agent-turn';
export const title = '8. Agent turn overhead (Claude Code TUI and structured)';
export const description =
  'The real Claude Code 2.1 TUI in a ccx session (`--preset claude`), offline against a fake Messages API on 127.0.0.1. Each run is `ccx send cc "say …" --wait`; overhead = when the command exited minus when the fake sent the last byte of its answer (so it holds Claude Code drawing the answer, its state file update, ccx reading it every 250 ms, and the CLI printing). Before this, `send --wait` waited out 3 s of screen quiet. The structured rows do the same against `ccx start --agent claude` (stream-json on pipes): the overhead there is Claude Code reading the stream and writing its result message, the daemon parsing it, and the CLI printing.';


export async function run(ctx) {
  if (!existsSync(CLAUDE_BIN)) return { missing: 'Claude Code is not installed (test/ dev dependency)', targets: [{ target: 'TUI turn overhead p50 ≤ 0.5 s', measured: 'not measured', met: undefined }] };
  const api = await startFakeAnthropic();
  try {
    const home = ctx.newHome();
    const env = claudeEnv(api, claudeHome(ctx.tmp));
    const work = mkdtempSync(join(ctx.tmp, 'work-'));
    await home.run(['start', '--name', 'cc', '--cwd', work, '--cols', '100', '--rows', '30', '--preset', 'claude', '--wait-ready', '--timeout', '120', ...envArgs(env), '--', CLAUDE_BIN], { timeoutMs: 150_000 });
    ctx.pids.track(home.daemonPid());
    const tui = await turns(ctx, api, home, 'cc');
    await home.run(['start', '--name', 'agent', '--agent', 'claude', '--permission-mode', 'default', '--cwd', work, ...envArgs(env), '--', CLAUDE_BIN], { timeoutMs: 150_000 });
    const structured = await turns(ctx, api, home, 'agent');
    const rows = (label, r) => [
      [`${label}: \`ccx send … "say …" --wait\` wall time`, ms(r.wall.median), ms(r.wall.p90), ms(r.wall.min), r.wall.n],
      [`${label}: overhead after the model answered`, ms(r.over.median), ms(r.over.p90), ms(r.over.min), r.overheads.length],
    ];
    return {
      tables: [{ columns: ['measure', 'median ms', 'p90 ms', 'min ms', 'runs'], rows: [...rows('TUI', tui), ...rows('structured', structured)] }],
      targets: [
        { target: 'TUI turn overhead p50 ≤ 0.5 s (was ~3.5 s: a 3 s quiet period)', measured: `${ms(tui.over.median)} ms (p90 ${ms(tui.over.p90)} ms, ${tui.overheads.length}/${tui.walls.length} runs ended by turn-end)`, met: tui.overheads.length === tui.walls.length && tui.over.median <= 500 },
        { target: 'structured turn overhead p50 ≤ 50 ms', measured: `${ms(structured.over.median)} ms (p90 ${ms(structured.over.p90)} ms, ${structured.overheads.length}/${structured.walls.length} runs ended by turn-end)`, met: structured.overheads.length === structured.walls.length && structured.over.median <= 50 },
      ],
      data: { tui: { walls: tui.walls, overheads: tui.overheads }, structured: { walls: structured.walls, overheads: structured.overheads } },
    };
  } finally {
    await api.close();
  }
}

/** `ctx.opts.agentTurnReps` turns of `send NAME 'say …' --wait`: wall times, and overheads past the fake's last byte. */
async function turns(ctx, api, home, name) {
  const walls = [];
  const overheads = [];
  for (let i = 0; i < ctx.opts.agentTurnReps; i++) {
    const before = api.requests.length;
    const { ms: wall, stdout } = await timeOk(ctx.pids, process.execPath, [CCX_BIN, 'send', name, `say turn-${i}`, '--wait', '--timeout', '60', '--json'], { env: home.env, timeoutMs: 90_000 });
    const endedAt = Date.now();
    const reason = JSON.parse(stdout).wait.reason;
    const answer = api.requests.slice(before).filter((r) => r.path === '/v1/messages' && r.doneAt !== undefined && Array.isArray(r.body.tools) && r.body.tools.length > 0).pop();
    walls.push(wall);
    if (answer && reason === 'turn-end') overheads.push(endedAt - answer.doneAt);
    else ctx.log(`agent-turn (${name}): run ${i} ended with ${reason}${answer ? '' : ' and no model request was seen'}`);
  }
  return { walls, overheads, wall: summarize(walls), over: summarize(overheads.length ? overheads : [Number.NaN]) };
}
