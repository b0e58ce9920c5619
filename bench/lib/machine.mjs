// What the figures were measured on: they mean little without it.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../packages/testkit/dist/index.js';
import { tmuxVersion } from './tmux.mjs';

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return {};
  }
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Which CLI build `bin/ccx` runs: the bundle when it is at least as new as the TypeScript build (the rule bin/ccx applies). */
function cliEntry() {
  const mtime = (rel) => {
    try {
      return statSync(join(ROOT, 'packages', rel)).mtimeMs;
    } catch {
      return NaN;
    }
  };
  const bundle = mtime('cli/dist/ccx.mjs');
  return bundle >= mtime('cli/tsconfig.tsbuildinfo') && bundle >= mtime('shared/tsconfig.tsbuildinfo') ? 'bundled (dist/ccx.mjs)' : 'unbundled (dist/main.js)';
}

export function loadavg() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

export function machineInfo() {
  const cpuList = cpus();
  const pkg = (name) => readJson(join(ROOT, 'node_modules', '.pnpm', 'node_modules', name, 'package.json')).version;
  return {
    date: new Date().toISOString(),
    os: `${process.platform} ${release()}`,
    cpu: `${cpuList[0]?.model ?? 'unknown'} × ${cpuList.length}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    ccx: readJson(join(ROOT, 'packages', 'cli', 'package.json')).version,
    commit: gitCommit(),
    cli: cliEntry(),
    tmux: tmuxVersion() ?? 'not installed',
    nodePty: pkg('node-pty'),
    xtermHeadless: pkg('@xterm/headless'),
    loadAtStart: loadavg(),
  };
}
