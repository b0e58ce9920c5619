/**
 * The real Claude Code (test/'s pinned dev dependency) run offline: what
 * test/, bench/ and stress/ all give it. It talks only to a fake Messages
 * API on 127.0.0.1 (test/fixtures/fake-anthropic.mjs), which is also its
 * HTTP(S) proxy and refuses every CONNECT; a fresh HOME's ~/.claude.json
 * answers the first-run questions (theme, API key, workspace trust).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export const CLAUDE_BIN = join(ROOT, 'test', 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
/** A dummy key: Claude Code asks once whether to use a key, remembered by its last 20 characters. */
export const FAKE_CLAUDE_KEY = 'sk-ant-api03-ccx-test-fixture-key-0123456789abcdefghij';

/** A HOME for Claude Code with the first-run questions answered; every directory is trusted through "/". */
export function claudeHome(parent = tmpdir()): string {
  const home = mkdtempSync(join(parent, 'claude-home-'));
  const config = {
    hasCompletedOnboarding: true,
    theme: 'dark',
    customApiKeyResponses: { approved: [FAKE_CLAUDE_KEY.slice(-20)], rejected: [] },
    projects: { '/': { hasTrustDialogAccepted: true } },
  };
  writeFileSync(join(home, '.claude.json'), JSON.stringify(config));
  return home;
}

/** The environment Claude Code needs to run offline against the fake at `api.url`. */
export function claudeEnv(api: { url: string }, home: string): Record<string, string> {
  return {
    HOME: home,
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: FAKE_CLAUDE_KEY,
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
