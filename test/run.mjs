#!/usr/bin/env node
// Runs the ava suite with TAP output, passes it through, and ends with the one
// line CI reads: `tests: N passed, M failed`. A run that executed no test
// fails, so an empty run can never pass unnoticed.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const avaCli = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');

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
