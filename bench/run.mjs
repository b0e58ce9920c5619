#!/usr/bin/env node
// `pnpm bench`: every scenario for ccx and its peers in one run, then the
// tables in docs/benchmarks.md and everything in bench/results/latest.json.
// Bounded (a hard deadline), and it ends every process it started by pid and
// removes every temp dir, also on Ctrl-C and on failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CCX_BIN, PidRegistry, ROOT } from '../packages/testkit/dist/index.js';
import { CcxHome } from './lib/ccx-home.mjs';
import { writeTextFile } from './lib/fixtures.mjs';
import { loadavg, machineInfo } from './lib/machine.mjs';
import { readOptions } from './lib/options.mjs';
import { timeRun } from './lib/proc.mjs';
import { renderMarkdown, writeOutputs } from './lib/report.mjs';
import { TmuxServer, tmuxVersion } from './lib/tmux.mjs';
import { SCENARIOS } from './scenarios/index.mjs';

const opts = readOptions();
const pids = new PidRegistry();
const tmp = mkdtempSync(join(tmpdir(), 'ccxb-'));
const log = (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** Homes and tmux servers of the scenario that is running, cleaned up when it ends. */
let owned = [];
const ctx = {
  opts,
  cpuCount: cpus().length,
  /** Without tmux the scenarios still run; tmux's rows are left out and its ratios not measured. */
  hasTmux: tmuxVersion() !== undefined,
  pids,
  tmp,
  log,
  fixtures: {},
  newHome() {
    const home = new CcxHome(pids, tmp);
    owned.push(home);
    return home;
  },
  async newTmux(firstCommand, firstName) {
    const server = new TmuxServer(pids, tmp);
    owned.push(server);
    await server.start(firstCommand, firstName);
    return server;
  },
  /** A text file of about `mb` MB, made once per run. */
  textFile(mb) {
    const key = `text-${mb}`;
    this.fixtures[key] ??= { path: join(tmp, `${key}.txt`), ...writeTextFile(join(tmp, `${key}.txt`), Math.round(mb * 1e6)) };
    return this.fixtures[key];
  },
};

async function releaseOwned() {
  const items = owned;
  owned = [];
  for (const item of items.reverse()) await item.cleanup().catch((error) => log(`cleanup: ${error.message}`));
}

/** Commands a scenario needs that this build of the CLI does not list (they land with other issues). */
async function missingCommands(requires = []) {
  if (requires.length === 0) return [];
  const help = await timeRun(pids, process.execPath, [CCX_BIN, '--help'], { env: { ...process.env, CCX_HOME: tmp } });
  const listed = new Set([...help.stdout.matchAll(/^\s+ccx (\S+)/gm)].map((m) => m[1]));
  return requires.filter((command) => !listed.has(command));
}

let cleanedUp = false;
async function cleanupAll() {
  if (cleanedUp) return;
  cleanedUp = true;
  await releaseOwned();
  const killed = pids.killLeftovers();
  if (killed.length) log(`killed leftover pids: ${killed.join(' ')}`);
  rmSync(tmp, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    cleanupAll().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  log(`deadline of ${opts.deadlineMinutes} min reached: cleaning up and failing`);
  cleanupAll().finally(() => process.exit(1));
}, opts.deadlineMinutes * 60_000);
deadline.unref();

const started = performance.now();
const machine = machineInfo();
log(`machine: ${machine.cpu}, node ${machine.node}, ${machine.tmux}, load ${machine.loadAtStart.join(' ')}${opts.quick ? ' (quick run)' : ''}`);
const results = [];
let failed = false;
try {
  for (const scenario of SCENARIOS) {
    if (opts.only && !opts.only.includes(scenario.id)) continue;
    log(`── ${scenario.title}`);
    const before = loadavg();
    const t0 = performance.now();
    let result;
    try {
      const missing = await missingCommands(scenario.requires);
      result = missing.length
        ? { missing: `command missing: ${missing.map((c) => `\`ccx ${c}\``).join(', ')}`, targets: (scenario.plannedTargets ?? []).map((target) => ({ target, measured: 'not measured: command missing', met: undefined })) }
        : await scenario.run(ctx);
    } catch (error) {
      failed = true;
      log(`${scenario.id} failed: ${error.stack ?? error}`);
      result = { error: String(error.message ?? error) };
    } finally {
      await releaseOwned();
    }
    results.push({ id: scenario.id, title: scenario.title, description: scenario.description, ...result, load: { before, after: loadavg() }, seconds: Math.round((performance.now() - t0) / 100) / 10 });
    log(`   done in ${Math.round((performance.now() - t0) / 1000)} s`);
  }
} finally {
  await cleanupAll();
}

const durationS = Math.round((performance.now() - started) / 1000);
const report = { machine, finishedAt: new Date().toISOString(), loadAtEnd: loadavg(), command: 'pnpm bench', durationS, options: opts, scenarios: results };
const markdown = renderMarkdown(report);
writeOutputs({
  markdownPath: opts.official ? join(ROOT, 'docs', 'benchmarks.md') : undefined,
  jsonPath: join(ROOT, 'bench', 'results', opts.official ? 'latest.json' : 'partial.json.tmp'),
  markdown,
  json: report,
});
process.stdout.write(`${markdown}\n`);
log(opts.official ? 'wrote docs/benchmarks.md and bench/results/latest.json' : 'partial run: wrote bench/results/partial.json.tmp only (docs untouched)');
process.exit(failed ? 1 : 0);
