/**
 * Test harness: every test file gets real daemons in fresh temp CCX_HOMEs,
 * runs the real CLI as a child process, and ends every process it started by
 * pid in teardown.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProcessAlive, isZombie } from '@ccx/shared';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CCX_BIN = join(ROOT, 'packages', 'cli', 'bin', 'ccx');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Home {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `ccx ...args` against this home's daemon. */
  ccx(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  /** Starts `ccx ...args` and returns the child (for followers, attach). */
  spawnCcx(args: string[], opts?: { env?: NodeJS.ProcessEnv }): ChildProcess;
  /** Pid of the daemon that currently owns this home, from its registry file. */
  daemonPid(): number | undefined;
  /** Remembers a pid to kill in teardown. */
  track(pid: number | undefined): void;
  /** Kills the daemon and everything tracked, by pid, and removes the dir. */
  cleanup(): Promise<void>;
}

/** Alive = exists and is not a zombie (this machine's init may reap late or never). */
export const isAlive = isProcessAlive;

export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Environment for a test CLI: a fresh home, and no colour or TTY assumptions. */
function baseEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CCX_HOME: dir, NO_COLOR: '1' };
  delete env.XDG_RUNTIME_DIR;
  delete env.CCX_VERSION_OVERRIDE;
  return env;
}

/**
 * Homes not yet cleaned up. If the test process ends without running its
 * teardown (a run killed by a timeout), the exit handler below still kills
 * their daemons and tracked processes by pid, so no flooding session outlives
 * an aborted run.
 */
const liveHomes = new Set<() => void>();
process.once('exit', () => {
  for (const killAll of liveHomes) killAll();
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => process.exit(130));
}

export function makeHome(): Home {
  // Short prefix: the socket path must stay under ~104 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'ccxt-'));
  const env = baseEnv(dir);
  const tracked = new Set<number>();
  const children = new Set<ChildProcess>();
  const killAllNow = (): void => {
    const pid = readDaemonPid();
    for (const p of pid ? [pid, ...tracked] : tracked) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {}
    }
  };
  liveHomes.add(killAllNow);
  const registryFile = join(dir, 'state', 'daemon.json');
  const readDaemonPid = (): number | undefined => {
    try {
      return (JSON.parse(readFileSync(registryFile, 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  };
  const daemonPid = readDaemonPid;
  const home: Home = {
    dir,
    env,
    ccx(args, opts = {}) {
      return new Promise((resolve) => {
        const child = execFile(
          process.execPath,
          [CCX_BIN, ...args],
          { env: { ...env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
          (error, stdout, stderr) => {
            // Reaped: its pid may be reused by now, so teardown must not kill it.
            if (child.pid) tracked.delete(child.pid);
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
        if (child.pid) tracked.add(child.pid);
        if (opts.input !== undefined) child.stdin?.end(opts.input);
        else child.stdin?.end();
        const pid = daemonPid();
        if (pid) tracked.add(pid);
      }).then((r) => {
        const pid = daemonPid();
        if (pid) tracked.add(pid);
        return r as RunResult;
      });
    },
    spawnCcx(args, opts = {}) {
      const child = spawn(process.execPath, [CCX_BIN, ...args], { env: { ...env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      if (child.pid) tracked.add(child.pid);
      child.once('exit', () => child.pid && tracked.delete(child.pid));
      return child;
    },
    daemonPid,
    track(pid) {
      if (pid) tracked.add(pid);
    },
    async cleanup() {
      const pid = daemonPid();
      if (pid) tracked.add(pid);
      for (const child of children) child.kill('SIGKILL');
      // Daemon first, gracefully, so it ends its sessions' processes itself.
      if (pid && isAlive(pid)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {}
        const deadline = Date.now() + 10_000;
        while (isAlive(pid) && Date.now() < deadline) await sleep(50);
      }
      for (const p of tracked) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
      }
      liveHomes.delete(killAllNow);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return home;
}

export function parseJson<T = any>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(0, 500)}`);
  }
}

/** Pids of processes whose environment carries CCX_SESSION_ID=<id> (Linux /proc). */
export function pidsWithMarker(sessionId: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`);
      if (environ.includes(Buffer.from(`CCX_SESSION_ID=${sessionId}\0`))) {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        if (!isZombie(Number(name))) out.push(Number(name));
      }
    } catch {}
  }
  return out;
}

/** Raw bytes of the session's output log segments, read straight from disk. */
export function outputLogBytes(home: Home, sessionId: string): Buffer {
  const dir = join(home.dir, 'state', 'sessions', sessionId);
  const files = readdirSync(dir).filter((f) => f.startsWith('output-')).sort();
  return Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
}

/** Persisted events of this home (events.log and its rotated file), read from disk. */
export function eventsFromLog(home: Home): Array<{ seq: number; type: string; sessionId?: string; [k: string]: unknown }> {
  const out: Array<{ seq: number; type: string; sessionId?: string }> = [];
  for (const file of ['events.log.1', 'events.log']) {
    let text = '';
    try {
      text = readFileSync(join(home.dir, 'state', file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) if (line) out.push(JSON.parse(line));
  }
  return out;
}

/** Waits until the session's on-disk output contains `needle`. */
export function waitForOutput(home: Home, sessionId: string, needle: string | RegExp, timeoutMs = 15_000): Promise<string> {
  return waitFor(
    () => {
      let text = '';
      try {
        text = outputLogBytes(home, sessionId).toString('utf8');
      } catch {
        return undefined;
      }
      return (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) ? text : undefined;
    },
    timeoutMs,
    `output ${String(needle)} in session ${sessionId}`,
  );
}

/**
 * `const home = homesFor(test)`: each `home()` is a fresh home that the test
 * file's `after.always` hook cleans up, so a test file needs no teardown of its own.
 */
export function homesFor(test: { after: { always: (fn: () => Promise<void>) => void } }): () => Home {
  const homes: Home[] = [];
  test.after.always(async () => {
    await Promise.all(homes.map((h) => h.cleanup()));
  });
  return () => {
    const h = makeHome();
    homes.push(h);
    return h;
  };
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

/** `const tempDir = tempDirsFor(test)`: scratch directories removed by the file's `after.always` hook. */
export function tempDirsFor(test: { after: { always: (fn: () => void) => void } }, prefix = 'ccxf-'): () => string {
  const dirs: string[] = [];
  test.after.always(() => {
    // Retried: a program ended in teardown (SIGHUP when its daemon is killed) may still be writing its files (Claude Code's ~/.claude).
    for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** `ccx start --json ...args`; throws on failure, tracks the program's pid for teardown, returns the session info. */
export async function startSession(h: Home, args: string[], env?: NodeJS.ProcessEnv): Promise<any> {
  const r = await h.ccx(['start', '--json', ...args], { env });
  if (r.code !== 0) throw new Error(`start failed (${r.code}): ${r.stderr}`);
  const info = parseJson(r);
  h.track(info.pid);
  return info;
}

/** A directory holding a `ccx` that runs this build, to put first on PATH when a shell runs ccx commands (hints, completion, the README). */
export function ccxOnPath(h: Home): string {
  const bin = join(h.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'ccx'), `#!/bin/sh\nexec '${process.execPath}' '${CCX_BIN}' "$@"\n`);
  chmodSync(join(bin, 'ccx'), 0o755);
  return bin;
}
