/**
 * The real Claude Code (the pinned dev dependency), offline: it talks only to
 * the fake Messages API in test/fixtures/fake-anthropic.mjs on 127.0.0.1,
 * which is also its HTTP(S) proxy and refuses every CONNECT. A fresh HOME
 * whose ~/.claude.json answers the first-run questions (theme, API key,
 * workspace trust) is made per test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CLAUDE_BIN, claudeEnv, claudeHome, envArgs } from '@ccx/testkit';

export { CLAUDE_BIN, claudeEnv, claudeHome, envArgs };
// @ts-expect-error: a plain ES module fixture, no type declarations
import { startFakeAnthropic } from '../fixtures/fake-anthropic.mjs';

export interface FakeAnthropic {
  url: string;
  requests: Array<{ method: string; path: string; body?: any }>;
  close(): Promise<void>;
}

export function startFakeApi(): Promise<FakeAnthropic> {
  return startFakeAnthropic();
}

/** The fake API for a test file: started before its tests, closed after them; call the returned function for it. */
export function fakeApiFor(test: { before: (fn: () => Promise<void>) => void; after: { always: (fn: () => Promise<void>) => void } }): () => FakeAnthropic {
  let api: FakeAnthropic | undefined;
  test.before(async () => {
    api = await startFakeApi();
  });
  test.after.always(async () => {
    await api?.close();
  });
  return () => api!;
}

/**
 * `ccx start` args for a Claude Code TUI session named `cc` in `work`, 100×30,
 * with the claude preset, offline against `api`; `--wait-ready` unless
 * `ready: false`; `args` go to Claude Code.
 */
export function claudeStartArgs(api: FakeAnthropic, work: string, home: string, opts: { ready?: boolean; args?: string[] } = {}): string[] {
  const ready = opts.ready === false ? [] : ['--wait-ready', '--timeout', '90'];
  return ['start', '--name', 'cc', '--cwd', work, '--cols', '100', '--rows', '30', '--preset', 'claude', ...ready, ...envArgs(claudeEnv(api, home)), '--', CLAUDE_BIN, ...(opts.args ?? [])];
}

/**
 * At most three Claude Code starts at once in a test file: its start-up is a
 * second or two of CPU, and a dozen at once (two claude-* files side by side)
 * starved the daemons of a loaded 2-core machine — a hello unanswered after
 * 2 s, keys Claude Code dropped. Sessions, once started, still run at once.
 */
const CLAUDE_STARTS_AT_ONCE = 3;
let claudeStarting = 0;
const claudeStartQueue: Array<() => void> = [];

export async function throttledClaudeStart<R>(start: () => Promise<R>): Promise<R> {
  if (claudeStarting >= CLAUDE_STARTS_AT_ONCE) await new Promise<void>((resolve) => claudeStartQueue.push(resolve));
  else claudeStarting++;
  try {
    return await start();
  } finally {
    // The slot passes straight to the next start in line, if any.
    const next = claudeStartQueue.shift();
    if (next) next();
    else claudeStarting--;
  }
}

/**
 * What a tool's `echo … > file` wrote, once it is a whole line; undefined before. The shell
 * creates the file when it opens it for `>`, before echo writes, so existence alone can be an
 * empty file (seen in CI).
 */
export function writtenLine(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  return text.endsWith('\n') ? text : undefined;
}
