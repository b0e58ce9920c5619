/** Running the real CLI of a home and reading what it printed. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StartResult } from '@ccx/shared';
import { outputLogBytes } from './disk.js';
import type { Home, RunResult } from './home.js';
import { CCX_BIN } from './paths.js';
import { waitFor } from './wait.js';

/** stdout parsed as JSON; throws with both streams when it is not JSON. */
export function parseJson<T = any>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(0, 500)}`);
  }
}

/** Runs `ccx ...args` and returns its trimmed stdout; any non-zero exit throws with its stderr. */
export async function ccxOk(h: Home, args: string[], input?: string): Promise<string> {
  const r = await h.ccx(args, { input });
  if (r.code !== 0) throw new Error(`ccx ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Starts `cat`, sends it a line and cancels it (cat ends on the SIGINT); returns its id. */
export async function catLifecycle(h: Home, name: string): Promise<string> {
  const id = await ccxOk(h, ['start', '--name', name, '--', 'cat']);
  await ccxOk(h, ['send', name, 'hello']);
  await ccxOk(h, ['cancel', name]);
  return id;
}

/** `ccx start --json ...args`; throws on failure, tracks the program's pid for teardown, returns the session info. */
export async function startSession(h: Home, args: string[], env?: NodeJS.ProcessEnv): Promise<StartResult & { pid: number }> {
  const r = await h.ccx(['start', '--json', ...args], { env });
  if (r.code !== 0) throw new Error(`start failed (${r.code}): ${r.stderr}`);
  // A session `start` returns is running, so it has a pid.
  const info = parseJson<StartResult & { pid: number }>(r);
  h.track(info.pid);
  return info;
}

/** Waits until the session's on-disk output contains `needle`; resolves with the whole output so far. */
export function waitForOutput(home: Home, sessionId: string, needle: string | RegExp, timeoutMs = 15_000): Promise<string> {
  return waitFor(
    () => {
      const text = outputLogBytes(home, sessionId).toString('utf8');
      return (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) ? text : undefined;
    },
    timeoutMs,
    `output ${String(needle)} in session ${sessionId}`,
  );
}

/** A directory holding a `ccx` that runs this build, to put first on PATH when a shell runs ccx commands (hints, completion, the README). */
export function ccxOnPath(h: Home): string {
  const bin = join(h.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'ccx'), `#!/bin/sh\nexec '${process.execPath}' '${CCX_BIN}' "$@"\n`);
  chmodSync(join(bin, 'ccx'), 0o755);
  return bin;
}
