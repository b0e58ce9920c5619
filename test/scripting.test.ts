import test from 'ava';
import type { Preset, SessionInfo } from '@ccx/shared';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homesFor, CCX_BIN, FIXTURES, ROOT, isAlive, parseJson, waitFor, type Home, type RunResult } from './helpers/ccx.js';
import { BUILTIN_PRESETS } from '../packages/daemon/src/presets/presets.js';

const home = homesFor(test);

/** Starts a session and returns its id. */
async function start(h: Home, args: string[]): Promise<string> {
  const r = await h.ccx(['start', '--json', ...args]);
  if (r.code !== 0) throw new Error(`start failed (${r.code}): ${r.stderr}`);
  return parseJson(r).id;
}

async function info(h: Home, id: string): Promise<SessionInfo> {
  return parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.id === id)!;
}

test('a python REPL answers a sequence of send --wait calls: one answer per call, no echo, no prompt', async (t) => {
  const h = home();
  const id = await start(h, ['--name', 'py', '--preset', 'python', '--wait-ready', '--timeout', '60', '--', 'python3', '-q']);
  const transcript: string[] = [];
  const ask = async (text: string): Promise<RunResult> => {
    const r = await h.ccx(['send', 'py', text, '--wait', '--timeout', '60']);
    transcript.push(`$ ccx send py '${text}' --wait   → exit ${r.code}, stdout ${JSON.stringify(r.stdout)}`);
    return r;
  };
  const expected: Array<[string, string]> = [
    ['6*7', '42\n'],
    ['x = 5', ''],
    ['x * 10', '50\n'],
    ['print("a\\nb")', 'a\nb\n'],
    ['"=" * 3', "'==='\n"],
    ['import time; time.sleep(1); print("slept")', 'slept\n'],
    ['[i*i for i in range(4)]', '[0, 1, 4, 9]\n'],
  ];
  for (const [text, answer] of expected) {
    const r = await ask(text);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, answer, `answer to ${text}`);
  }
  t.log(transcript.join('\n'));
  // --json carries the same answer, and how the wait ended.
  const j = parseJson(await h.ccx(['send', 'py', '7+1', '--wait', '--timeout', '60', '--json']));
  t.is(j.session, id);
  t.is(j.wait.reason, 'prompt');
  t.is(j.wait.output, '8\n');
  t.true(j.wait.offset > j.offset);
});

/** A bash session named sh with the shell preset; its id. */
const startSh = (h: Home): Promise<string> => start(h, ['--name', 'sh', '--preset', 'shell', '--', 'bash', '--norc', '--noprofile']);

/** send sh 'sleep 30' waiting for a line never printed, with --timeout 2. */
const sendSleepWithTimeout = (h: Home): Promise<RunResult> => h.ccx(['send', 'sh', 'sleep 30', '--until', 'never-printed', '--timeout', '2', '--json']);

test('bash: send --wait --until waits for a marker line', async (t) => {
  const h = home();
  await startSh(h);
  const r = await h.ccx(['send', 'sh', 'for i in 1 2 3; do echo n$i; sleep 0.2; done; echo END-MARK', '--wait', '--until', '^END-MARK$', '--timeout', '60']);
  t.is(r.code, 0, r.stderr);
  // The echoed command line also contains END-MARK, but not at the start of a line: the answer is the output.
  t.is(r.stdout, 'n1\nn2\nn3\nEND-MARK\n');
});

test('bash: send --until with --timeout exits 124 in time', async (t) => {
  const h = home();
  await startSh(h);
  const started = Date.now();
  const slow = await sendSleepWithTimeout(h);
  const elapsed = Date.now() - started;
  t.is(slow.code, 124, slow.stderr);
  t.true(elapsed >= 2_000, `took ${elapsed} ms`);
  t.true(elapsed < 2_000 + 20_000, `took ${elapsed} ms`);
  t.is(parseJson(slow).wait.reason, 'timeout');
  t.regex(slow.stderr, /E_TIMEOUT/);
});

test("bash: interrupt presses the preset's key (C-c), stopping the command while the shell stays", async (t) => {
  const h = home();
  const id = await startSh(h);
  await sendSleepWithTimeout(h);
  // interrupt: the preset's key (C-c) stops sleep; the shell stays.
  t.is((await h.ccx(['interrupt', 'sh'])).code, 0);
  const after = await h.ccx(['send', 'sh', 'echo alive', '--wait', '--timeout', '60']);
  t.is(after.stdout, 'alive\n');
  t.is((await info(h, id)).status, 'running');
});

test('wait --exit returns the program\'s code (128+N for a signal)', async (t) => {
  const h = home();
  const three = await start(h, ['--', 'sh', '-c', 'sleep 0.5; exit 3']);
  t.is((await h.ccx(['wait', three, '--exit', '--timeout', '60'])).code, 3);
  // Already ended: still its code.
  t.is((await h.ccx(['wait', three, '--exit'])).code, 3);

  const term = await start(h, ['--', 'sh', '-c', 'sleep 0.5; kill -TERM $$']);
  const r = await h.ccx(['wait', term, '--exit', '--timeout', '60', '--json']);
  t.is(r.code, 143);
  t.like(parseJson(r), { reason: 'exit', signal: 'SIGTERM', met: true });
});

test('wait exits 125 when the program ends while waiting for a match', async (t) => {
  const h = home();
  const ends = await start(h, ['--', 'sh', '-c', 'sleep 0.5; echo bye']);
  const ended = await h.ccx(['wait', ends, '--from', '0', '--until', 'never-printed', '--timeout', '60', '--json']);
  t.is(ended.code, 125, ended.stderr);
  t.like(parseJson(ended), { reason: 'ended', met: false, status: 'exited', exitCode: 0 });
});

test('wait --from 0 matches output that came before the request, reporting the match with its groups', async (t) => {
  const h = home();
  const id = await start(h, ['--', 'sh', '-c', 'echo "result=41+1"; sleep 60']);
  await waitFor(async () => (await info(h, id)).outputBytes > 0, 30_000, 'output');
  const r = await h.ccx(['wait', id, '--from', '0', '--until', 'result=(\\d+)\\+(\\d+)', '--timeout', '60', '--json']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(parseJson(r).match, { text: 'result=41+1', groups: ['41', '1'], index: 0, pattern: 'result=(\\d+)\\+(\\d+)' });
  await h.ccx(['kill', id]);
});

test('wait --screen matches the rendered screen, not the output stream', async (t) => {
  const h = home();
  // Written right to left with cursor moves: the screen reads READY, the byte stream "ADYRE".
  const id = await start(h, ['--', 'sh', '-c', "printf '\\033[2;3HADY\\033[2;1HRE'; sleep 60"]);
  const onScreen = await h.ccx(['wait', id, '--from', '0', '--until', 'READY', '--screen', '--timeout', '60', '--json']);
  t.is(onScreen.code, 0, onScreen.stderr);
  t.is(parseJson(onScreen).reason, 'match');
  const inText = await h.ccx(['wait', id, '--from', '0', '--until', 'READY', '--timeout', '1']);
  t.is(inText.code, 124);
  await h.ccx(['kill', id]);
});

test('wait has two stages: a quiet session is not "idle" until its output has begun', async (t) => {
  const h = home();
  const id = await start(h, ['--', 'sh', '-c', 'read line; echo "got $line"; sleep 60']);
  const waiter = h.spawnCcx(['wait', id, '--idle', '300', '--print', 'output', '--timeout', '120']);
  let stdout = '';
  waiter.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => waiter.on('exit', (code) => resolve(code)));
  // Longer than --idle with no output at all: still waiting.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.is(waiter.exitCode, null, 'returned before any output');
  t.is((await h.ccx(['send', id, 'hello'])).code, 0);
  t.is(await exited, 0);
  t.true(stdout.includes('got hello'), stdout);
});

test('a waiting client that goes away leaves no listener behind in the daemon', async (t) => {
  const h = home();
  const id = await start(h, ['--', 'sh', '-c', 'sleep 120']);
  // Bus subscribers, output listeners and open streams: each wait holds one of each.
  const held = async (): Promise<string> => {
    const status = parseJson(await h.ccx(['daemon', 'status', '--json']));
    return JSON.stringify([status.events.subscribers, status.resources.outputListeners, status.resources.streams]);
  };
  const before = await held();
  const waiters = [0, 1, 2].map(() => h.spawnCcx(['wait', id, '--until', 'never-printed', '--screen']));
  await waitFor(async () => {
    const [subscribers, listeners, streams] = JSON.parse(await held());
    const [s0, l0, st0] = JSON.parse(before);
    return subscribers === s0 + 3 && listeners === l0 + 3 && streams === st0 + 3;
  }, 30_000, 'the waits to subscribe');
  for (const w of waiters) w.kill('SIGKILL');
  await waitFor(async () => (await held()) === before, 30_000, 'the waits to unsubscribe');
  t.true(isAlive(h.daemonPid()!));
  t.is((await info(h, id)).status, 'running');
  await h.ccx(['kill', id]);
});

/** run --name one-shot -- sh -c "echo hi; exit 7". */
const runOneShot = (h: Home): Promise<RunResult> => h.ccx(['run', '--name', 'one-shot', '--', 'sh', '-c', 'echo hi; exit 7']);

test('run -- sh -c "echo hi; exit 7" exits 7', async (t) => {
  const r = await runOneShot(home());
  t.is(r.code, 7, r.stderr);
});

test('run -- sh -c "echo hi; exit 7" prints hi', async (t) => {
  const r = await runOneShot(home());
  t.is(r.stdout, 'hi\n');
});

test('the session of a run stays listed once it ended', async (t) => {
  const h = home();
  await runOneShot(h);
  const listed = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.name === 'one-shot')!;
  t.like(listed, { status: 'exited', exitCode: 7 });
});

test('run --json prints a start line, the output as text, an end line with the exit', async (t) => {
  const h = home();
  const j = await h.ccx(['run', '--json', '--', 'sh', '-c', 'printf "\\033[1mbold\\033[0m\\n"; kill -TERM $$']);
  t.is(j.code, 143);
  const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines[0].type, 'start');
  t.is(lines.filter((l) => l.type === 'output').map((l) => l.text).join(''), 'bold\n');
  t.like(lines.at(-1), { type: 'end', signal: 'SIGTERM', code: 143 });
});

test('run --timeout exits 124 once the time is up', async (t) => {
  const h = home();
  const timed = await h.ccx(['run', '--timeout', '1', '--', 'sleep', '60']);
  t.is(timed.code, 124);
  t.regex(timed.stderr, /timed out/);
});

test('Ctrl-C on run cancels the session', async (t) => {
  const h = home();
  const child = h.spawnCcx(['run', '--name', 'interrupted', '--', 'sh', '-c', 'echo started; sleep 60']);
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => stdout.includes('started'), 30_000, 'the program to start');
  child.kill('SIGINT');
  t.is(await exited, 130);
  const listed = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.name === 'interrupted')!;
  t.is(listed.status, 'cancelled');
});

test('--reuse twice returns the same id', async (t) => {
  const h = home();
  const first = await start(h, ['--name', 'once', '--reuse', '--', 'sleep', '120']);
  const second = await start(h, ['--name', 'once', '--reuse', '--', 'sleep', '120']);
  t.is(second, first);
});

test('a start without --reuse of a name --reuse took is E_NAME_TAKEN', async (t) => {
  const h = home();
  await start(h, ['--name', 'once', '--reuse', '--', 'sleep', '120']);
  const plain = await h.ccx(['start', '--name', 'once', '--', 'sleep', '120']);
  t.is(plain.code, 1);
  t.regex(plain.stderr, /E_NAME_TAKEN/);
});

test('two concurrent start --reuse create one session', async (t) => {
  const fresh = home();
  const both = await Promise.all([0, 1].map(() => fresh.ccx(['start', '--name', 'cron', '--reuse', '--json', '--', 'sleep', '120'])));
  for (const r of both) t.is(r.code, 0, r.stderr);
  t.is(parseJson(both[0]!).id, parseJson(both[1]!).id);
  const sessions = parseJson<SessionInfo[]>(await fresh.ccx(['list', '--all', '--json']));
  t.is(sessions.length, 1);
});

/** A home whose config file defines the preset quick (shell, idle after 200 ms, interrupt with C-d). */
function homeWithQuickPreset(): Home {
  const h = home();
  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify({ presets: { quick: { extends: 'shell', idleMs: 200, interruptKey: 'C-d' } } }));
  return h;
}

test('user presets come from the config file, listed with the built-in ones', async (t) => {
  const h = homeWithQuickPreset();
  const presets = parseJson<Preset[]>(await h.ccx(['presets', '--json']));
  t.deepEqual(presets.map((p) => p.name).sort(), ['claude', 'codex', 'python', 'quick', 'shell']);
  t.like(presets.find((p) => p.name === 'quick'), { prompt: BUILTIN_PRESETS.shell!.prompt, idleMs: 200, interruptKey: 'C-d' });
  t.like(presets.find((p) => p.name === 'claude'), { interruptKey: 'Escape' });
});

test('a session started with a user preset keeps it, using its keys', async (t) => {
  const h = homeWithQuickPreset();
  // As before the split: the presets are read (and the daemon up) before the session starts.
  await h.ccx(['presets', '--json']);
  const id = await start(h, ['--preset', 'quick', '--', 'cat']);
  t.is((await info(h, id)).preset, 'quick');
  // The preset's interrupt key, C-d, ends cat: proof the stored preset was used.
  t.is((await h.ccx(['interrupt', id])).code, 0);
  t.is((await h.ccx(['wait', id, '--exit', '--timeout', '60'])).code, 0);
});

test('an unknown preset is a usage error', async (t) => {
  const h = homeWithQuickPreset();
  const bad = await h.ccx(['start', '--preset', 'nope', '--', 'cat']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown preset: nope/);
});

/** A home whose config file is empty (a newline). */
function homeWithEmptyConfig(): Home {
  const h = home();
  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), '\n');
  return h;
}

test('an empty config file is no config to presets', async (t) => {
  const h = homeWithEmptyConfig();
  const presets = await h.ccx(['presets', '--json']);
  t.is(presets.code, 0, presets.stderr);
  t.deepEqual(parseJson<Preset[]>(presets).map((p) => p.name).sort(), ['claude', 'codex', 'python', 'shell']);
});

test('an empty config file is no config to hooks', async (t) => {
  const h = homeWithEmptyConfig();
  const hooks = await h.ccx(['hooks', 'list', '--json']);
  t.is(hooks.code, 0, hooks.stderr);
});

test('a cron-like script (no TTY, minimal env) runs start → send --wait → cancel with valid JSON at every step', async (t) => {
  const h = home();
  const bin = join(h.dir, 'bin');
  const out = join(h.dir, 'out');
  mkdirSync(bin);
  symlinkSync(CCX_BIN, join(bin, 'ccx'));
  // What cron gives a job: no terminal, PATH and HOME only (node's directory added so `#!/usr/bin/env node` finds it).
  const env = { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: h.dir, CCX_HOME: h.dir, CCX_CRON_OUT: out };
  const run = (): Promise<RunResult> =>
    new Promise((resolve) => {
      const child = execFile('/bin/sh', [join(FIXTURES, 'cron-example.sh')], { env, timeout: 180_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
      h.track(child.pid);
      child.stdin?.end();
    });
  for (const round of [1, 2]) {
    const r = await run();
    t.is(r.code, 0, `round ${round}: ${r.stderr}`);
    t.is(r.stdout, '');
    const started = JSON.parse(readFileSync(join(out, 'start.json'), 'utf8'));
    const answer = JSON.parse(readFileSync(join(out, 'answer.json'), 'utf8'));
    const cancelled = JSON.parse(readFileSync(join(out, 'cancel.json'), 'utf8'));
    t.like(started, { name: 'cron-py', status: 'running', preset: 'python' });
    t.like(answer, { session: started.id, wait: { reason: 'prompt', output: '5050\n' } });
    t.like(cancelled, { session: { id: started.id, status: 'cancelled' } });
  }
  // The README shows this very script.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  t.true(readme.includes(readFileSync(join(FIXTURES, 'cron-example.sh'), 'utf8')), 'README "Use from cron" shows test/fixtures/cron-example.sh verbatim');
});
