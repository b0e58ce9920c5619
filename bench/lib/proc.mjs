// Timed runs of the bench's child processes. Every pid goes into the
// testkit's PidRegistry so that cleanup can end each of them by pid (never by
// name); waits, /proc readings and the registry itself are the testkit's.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Runs a command to completion and measures its wall time from just before
 * spawn to the exit of the process with its output drained — what a person
 * or a script waiting on the command sees.
 */
export function timeRun(pids, file, args, { env, timeoutMs = 30_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    pids.track(child.pid);
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')} did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      pids.forget(child.pid);
      resolve({ ms, code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Like timeRun, but a non-zero exit is an error (a benchmark of a failing command measures nothing). */
export async function timeOk(pids, file, args, opts) {
  const r = await timeRun(pids, file, args, opts);
  if (r.code !== 0) throw new Error(`${[file, ...args].join(' ')} exited ${r.code}: ${r.stderr.trim().slice(0, 400)}`);
  return r;
}

/**
 * CPU time (user + system, ms) of this process's children that have ended
 * and been reaped: /proc/self/stat's cutime + cstime. A process's own
 * counters vanish with it, so this is how the bench learns what short-lived
 * children (followers that exit when their stream ends) spent.
 */
export function reapedChildrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: what /proc counts CPU time in; 100 on every Linux build that matters. */
const CLOCK_TICKS_PER_SECOND = 100;
