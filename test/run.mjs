#!/usr/bin/env node
// Runs the ava suite with TAP output, passes it through, and ends with the one
// line CI reads: `tests: N passed, M failed`. A run that executed no test
// fails, so an empty run can never pass unnoticed.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const avaCli = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');

preflight();

const child = spawn(process.execPath, [avaCli, '--tap', ...process.argv.slice(2)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } });
let passed = 0;
let failed = 0;
let buffer = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffer += chunk.toString('utf8');
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (/^ok \d+/.test(line) && !/# SKIP/i.test(line)) passed++;
    else if (/^not ok \d+/.test(line) && !/# TODO/i.test(line)) failed++;
  }
});
child.on('close', (code) => {
  const ran = passed + failed;
  const exitCode = code !== 0 || failed > 0 || ran === 0 ? 1 : 0;
  if (ran === 0) process.stdout.write('no test was executed\n');
  process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
  process.exit(exitCode);
});

/**
 * One daemon start and stop before the suite. When the build cannot run a
 * daemon at all, the daemon's own log is printed here once, instead of every
 * test failing with a bare timeout; on a machine whose disk cache is cold it
 * also reads the daemon's modules once before 25 processes do at the same time.
 */
function preflight() {
  const home = mkdtempSync(join(tmpdir(), 'ccxp-'));
  const ccx = (args) => execFileSync(process.execPath, [join(root, 'packages', 'cli', 'bin', 'ccx'), ...args], { env: { ...process.env, CCX_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, encoding: 'utf8' });
  const started = Date.now();
  try {
    ccx(['daemon', 'start']);
    process.stdout.write(`# preflight: a daemon started in ${Date.now() - started} ms\n`);
  } catch (error) {
    process.stdout.write(`# preflight: the daemon did not start (${String(error.stderr || error.message).trim()})\n`);
    try {
      for (const line of readFileSync(join(home, 'state', 'daemon.log'), 'utf8').split('\n')) process.stdout.write(`#   ${line}\n`);
    } catch {}
  } finally {
    try {
      ccx(['daemon', 'stop']);
    } catch {
      // Still there (stuck, or never answered): end it by the pid it registered.
      try {
        process.kill(JSON.parse(readFileSync(join(home, 'state', 'daemon.json'), 'utf8')).pid, 'SIGKILL');
      } catch {}
    }
    rmSync(home, { recursive: true, force: true });
  }
}
