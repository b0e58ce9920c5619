#!/usr/bin/env node
// `pnpm stress`: runs every drill against a real daemon, prints each drill's
// figures and checks, writes them to stress/results/latest.json, and exits
// non-zero if any check failed. Bounded: each drill ends by itself, and an
// overall deadline (STRESS_TIMEOUT_S) cleans up and fails the run.
//
// Environment:
//   STRESS_ONLY=fuzz,soak        run only these drills
//   STRESS_SMOKE=1               the small versions the test suite runs
//   STRESS_SEED=N                replay a run's random choices
//   STRESS_FUZZ_INPUTS, STRESS_SOAK_SESSIONS, STRESS_SOAK_FOLLOWERS,
//   STRESS_FAULT_KILLS, STRESS_INPUT_SENDS, STRESS_INPUT_ATTACHED,
//   STRESS_ACK_SENDS, STRESS_ACK_KILLS, STRESS_CLAUDE_PROMPTS,
//   STRESS_WEB_WAVES, STRESS_WEB_SSE_CLIENTS   scale
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { DRILLS } from './drills.mjs';
import { cleanupAllHomes } from '../packages/testkit/dist/index.js';
import { writeFigures } from './lib/doc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const smoke = env.STRESS_SMOKE === '1';
const only = env.STRESS_ONLY ? env.STRESS_ONLY.split(',').map((s) => s.trim()) : undefined;
const timeoutS = Number(env.STRESS_TIMEOUT_S ?? 1_200);

let interrupted = false;
async function abort(reason, code) {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\nstress: ${reason}; cleaning up…\n`);
  await cleanupAllHomes();
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void abort(`got ${signal}`, 130));
setTimeout(() => void abort(`over the ${timeoutS} s deadline`, 1), timeoutS * 1000).unref();

const selected = DRILLS.filter((d) => !only || only.includes(d.name));
if (selected.length === 0) {
  process.stderr.write(`stress: no drill matches STRESS_ONLY=${env.STRESS_ONLY}; drills: ${DRILLS.map((d) => d.name).join(', ')}\n`);
  process.exit(2);
}

const started = Date.now();
const loadAtStart = loadavg().map((x) => x.toFixed(1)).join(' ');
const reports = [];
process.stdout.write(`stress: ${selected.map((d) => d.name).join(', ')}${smoke ? ' (smoke)' : ''}\n`);
for (const drill of selected) {
  const options = drill.options({ smoke, env });
  process.stdout.write(`\n-- ${drill.name} ${JSON.stringify(options)}\n`);
  const report = await drill.run(options);
  report.print();
  reports.push(report);
}

const failed = reports.filter((r) => !r.ok);
const summary = {
  at: new Date().toISOString(),
  smoke,
  durationS: Math.round((Date.now() - started) / 1000),
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  load: { start: loadAtStart, end: loadavg().map((x) => x.toFixed(1)).join(' ') },
  drills: reports.map((r) => r.toJSON()),
};
const out = join(here, 'results', smoke ? 'smoke.json' : 'latest.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
// A full run of every drill refreshes the figures in docs/reliability.md.
if (!smoke && !only && writeFigures(join(here, '..', 'docs', 'reliability.md'), summary)) process.stdout.write('\nstress: figures written to docs/reliability.md\n');
process.stdout.write(`\nstress: ${reports.length - failed.length} passed, ${failed.length} failed in ${summary.durationS} s (figures in ${out})\n`);
process.exit(failed.length ? 1 : 0);
