/**
 * The real Claude Code (the pinned dev dependency), offline: it talks only to
 * the fake Messages API in test/fixtures/fake-anthropic.mjs on 127.0.0.1,
 * which is also its HTTP(S) proxy and refuses every CONNECT. A fresh HOME
 * whose ~/.claude.json answers the first-run questions (theme, API key,
 * workspace trust) is made per test.
 */
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
