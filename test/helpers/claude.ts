/**
 * The real Claude Code (the pinned dev dependency), offline: it talks only to
 * the fake Messages API in test/fixtures/fake-anthropic.mjs on 127.0.0.1,
 * which is also its HTTP(S) proxy and refuses every CONNECT. A fresh HOME
 * whose ~/.claude.json answers the first-run questions (theme, API key,
 * workspace trust) is made per test.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './ccx.js';
// @ts-expect-error: a plain ES module fixture, no type declarations
import { startFakeAnthropic } from '../fixtures/fake-anthropic.mjs';

export const CLAUDE_BIN = join(ROOT, 'test', 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
const FAKE_KEY = 'sk-ant-api03-ccx-test-fixture-key-0123456789abcdefghij';

export interface FakeAnthropic {
  url: string;
  requests: Array<{ method: string; path: string; body?: any }>;
  close(): Promise<void>;
}

export function startFakeApi(): Promise<FakeAnthropic> {
  return startFakeAnthropic();
}

/** A HOME for Claude Code with the first-run questions answered; `dirs` end up trusted through "/". */
export function claudeHome(parent = tmpdir()): string {
  const home = mkdtempSync(join(parent, 'claude-home-'));
  const config = {
    hasCompletedOnboarding: true,
    theme: 'dark',
    customApiKeyResponses: { approved: [FAKE_KEY.slice(-20)], rejected: [] },
    projects: { '/': { hasTrustDialogAccepted: true } },
  };
  writeFileSync(join(home, '.claude.json'), JSON.stringify(config));
  return home;
}

/** The environment Claude Code needs to run offline against the fake. */
export function claudeEnv(api: FakeAnthropic, home: string): Record<string, string> {
  return {
    HOME: home,
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: FAKE_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
    HTTPS_PROXY: api.url,
    HTTP_PROXY: api.url,
    NO_PROXY: '127.0.0.1',
  };
}

/** `--env K=V` pairs for `ccx start`. */
export function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
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
