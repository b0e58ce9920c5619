/**
 * Per-test-file resources for ava (typed structurally, so the testkit does not
 * depend on ava): each is ended in the file's `after.always` hook.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHome, type Home } from './home.js';

interface AfterAlways<R> {
  after: { always: (fn: () => R) => void };
}

/**
 * `const home = homesFor(test)`: each `home()` is a fresh home that the test
 * file's `after.always` hook cleans up, so a test file needs no teardown of its own.
 */
export function homesFor(test: AfterAlways<Promise<void>>): () => Home {
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

/** `const tempDir = tempDirsFor(test)`: scratch directories removed by the file's `after.always` hook. */
export function tempDirsFor(test: AfterAlways<void>, prefix = 'ccxf-'): () => string {
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

/** An array to push every spawned terminal (node-pty) into: after the file's tests, each one left is SIGKILLed by pid. */
export function ptysFor<T extends { pid: number }>(test: AfterAlways<void>): T[] {
  const ptys: T[] = [];
  test.after.always(() => {
    for (const p of ptys) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {}
    }
  });
  return ptys;
}
