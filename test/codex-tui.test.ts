/**
 * The real Codex CLI TUI (the pinned dev dependency @openai/codex) in a ccx
 * session with the codex preset, offline: its model provider is the fake
 * Responses API in test/fixtures/fake-openai.mjs on 127.0.0.1, which is
 * also its HTTP(S) proxy and refuses every CONNECT (Codex tries chatgpt.com
 * and github.com at start; those fail and it goes on). A fresh CODEX_HOME
 * per test holds a config.toml with that provider and the work directory
 * trusted; without them Codex asks to sign in, or whether to trust the folder.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homesFor, parseJson, ROOT, tempDirsFor, type RunResult, once } from './helpers/ccx.js';
// @ts-expect-error: a plain ES module fixture, no type declarations
import { startFakeOpenAI } from './fixtures/fake-openai.mjs';

const CODEX_BIN = join(ROOT, 'test', 'node_modules', '@openai', 'codex', 'bin', 'codex.js');
const FAKE_KEY_VAR = 'CCX_TEST_OPENAI_KEY';

const newHome = homesFor(test);
const newDir = tempDirsFor(test, 'ccxx-');

interface FakeOpenAI {
  url: string;
  requests: Array<{ method: string; path: string; body?: any }>;
  close(): Promise<void>;
}

let api: FakeOpenAI;
test.before(async () => {
  api = await startFakeOpenAI();
});
test.after.always(async () => {
  await api?.close();
});

/** A CODEX_HOME whose config.toml points Codex at the fake and trusts `work`. */
function codexHome(work: string): string {
  const home = mkdtempSync(join(newDir(), 'codex-home-'));
  writeFileSync(
    join(home, 'config.toml'),
    [
      'model = "fake-model"',
      'model_provider = "fake"',
      'check_for_update_on_startup = false',
      '',
      '[model_providers.fake]',
      'name = "fake"',
      `base_url = "${api.url}/v1"`,
      'wire_api = "responses"',
      `env_key = "${FAKE_KEY_VAR}"`,
      '',
      `[projects."${work}"]`,
      'trust_level = "trusted"',
      '',
    ].join('\n'),
  );
  return home;
}

function codexStartArgs(work: string, home: string): string[] {
  const env = { HOME: home, CODEX_HOME: home, [FAKE_KEY_VAR]: 'sk-ccx-test-fake', HTTPS_PROXY: api.url, HTTP_PROXY: api.url, NO_PROXY: '127.0.0.1' };
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  return ['start', '--name', 'cx', '--cwd', work, '--cols', '100', '--rows', '30', '--preset', 'codex', '--wait-ready', '--timeout', '90', ...envArgs, '--', process.execPath, CODEX_BIN];
}

/** A Codex TUI started with --wait-ready (its screen then), then three send --wait. */
const codexThreeAnswers = once(async () => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await h.ccx(codexStartArgs(work, codexHome(work)));
  const screen = (await h.ccx(['screen', 'cx'])).stdout;
  const answers: Array<{ n: number; r: RunResult }> = [];
  for (const n of [1, 2, 3]) answers.push({ n, r: await h.ccx(['send', 'cx', `say CODEX ANSWER ${n}`, '--wait', '--timeout', '90']) });
  await h.ccx(['kill', 'cx']);
  return { started, screen, answers };
});

test('start --preset codex --wait-ready returns once the Codex TUI takes input', async (t) => {
  const { started, screen } = await codexThreeAnswers();
  t.is(started.code, 0, started.stderr);
  t.regex(screen, /^› /m);
});

test('send --wait to Codex prints the answer it drew, exactly, asking only the fake API', async (t) => {
  const { answers } = await codexThreeAnswers();
  for (const { n, r } of answers) {
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `CODEX ANSWER ${n}\n`);
  }
  t.true(api.requests.some((r) => r.method === 'POST' && r.path === '/v1/responses'));
  t.false(api.requests.some((r) => r.method !== 'CONNECT' && r.path !== '/v1/responses' && r.path !== '/v1/models'), JSON.stringify(api.requests.map((r) => `${r.method} ${r.path}`)));
});

test('wait --until after a send to Codex matches the answer it drew, not the echo of the prompt', async (t) => {
  const h = newHome();
  const work = mkdtempSync(join(newDir(), 'w-'));
  const started = await h.ccx(codexStartArgs(work, codexHome(work)));
  t.is(started.code, 0, started.stderr);
  const sent = await h.ccx(['send', 'cx', 'say codex-until-me']);
  t.is(sent.code, 0, sent.stderr);
  const r = await h.ccx(['wait', 'cx', '--until', 'codex-until-me', '--print', 'output', '--timeout', '60', '--json']);
  t.is(r.code, 0, r.stderr);
  const result = parseJson(r);
  t.is(result.reason, 'match');
  t.is(result.output, 'codex-until-me');
  await h.ccx(['kill', 'cx']);
});
