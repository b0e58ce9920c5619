/**
 * What a tmux, pexpect or pm2 user types works as they expect (issue 12):
 * `--` before send's text, timeouts of any length, closed pipes, quoted
 * hints, output conventions (JSON, colour, narrow terminals), names, help and
 * completion. Terminal behaviour runs the real CLI in a node-pty terminal.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import pty from 'node-pty';
import { CCX_BIN, homesFor, parseJson, waitFor, type Home } from './helpers/ccx.js';

const home = homesFor(test);

const terminals: pty.IPty[] = [];
test.after.always(() => {
  for (const p of terminals) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {}
  }
});

interface TerminalRun {
  code: number;
  output: string;
}

/** Runs `ccx ...args` with its stdin, stdout and stderr on a terminal of `cols` columns; `answer` is typed when `prompt` appears. */
function inTerminal(h: Home, args: string[], opts: { cols?: number; env?: NodeJS.ProcessEnv; prompt?: RegExp; answer?: string } = {}): Promise<TerminalRun> {
  const p = pty.spawn(process.execPath, [CCX_BIN, ...args], { cols: opts.cols ?? 120, rows: 30, env: { ...h.env, ...opts.env } as Record<string, string>, name: 'xterm-256color' });
  terminals.push(p);
  let output = '';
  let answered = false;
  p.onData((d) => {
    output += d;
    if (opts.prompt && !answered && opts.prompt.test(output)) {
      answered = true;
      p.write(opts.answer ?? '');
    }
  });
  return new Promise((resolve) => p.onExit(({ exitCode }) => setTimeout(() => resolve({ code: exitCode, output }), 50)));
}

async function startPython(h: Home, name = 'py'): Promise<string> {
  const r = await h.ccx(['start', '--json', '--name', name, '--preset', 'python', '--wait-ready', '--timeout', '60', '--', 'python3', '-q']);
  if (r.code !== 0) throw new Error(`start failed (${r.code}): ${r.stderr}`);
  return parseJson(r).id;
}

// ---- 1. `--` before send's text ----

test('send: the words after -- are the text (send sh -- echo hi types "echo hi")', async (t) => {
  const h = home();
  await h.ccx(['start', '--name', 'sh', '--preset', 'shell', '--wait-ready', '--timeout', '60', '--', 'bash', '--norc', '--noprofile']);
  const sent = parseJson(await h.ccx(['send', 'sh', '--json', '--', 'echo', 'hi']));
  t.true(sent.bytes >= 'echo hi'.length, `bytes: ${sent.bytes}`);
  const r = await h.ccx(['send', 'sh', '--wait', '--timeout', '60', '--', 'echo', 'dash-dash-$((6*7))']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'dash-dash-42\n');
  // Words after -- that are not send's own options stay text, wherever they are.
  const opts = await h.ccx(['send', 'sh', '--wait', '--timeout', '60', '--', 'printf', "'%s,'", '-la', '--no-such', '--json', 'x;', 'echo']);
  t.is(opts.stdout, '-la,--no-such,--json,x,\n');
});

test('send: text after -- may start with "-", and send options may follow it (send py -- -2*3 --wait → -6)', async (t) => {
  const h = home();
  await startPython(h);
  const r = await h.ccx(['send', 'py', '--', '-2*3', '--wait', '--timeout', '60']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '-6\n');
  const j = parseJson(await h.ccx(['send', 'py', '--', '-3*3', '--wait', '--timeout', '60', '--json']));
  t.is(j.wait.output, '-9\n');
});

// ---- 2. timeouts of any length ----

test('run --timeout 30d runs the program to its end (no timer overflow)', async (t) => {
  const h = home();
  const r = await h.ccx(['run', '--timeout', '30d', '--', 'sh', '-c', 'sleep 1; echo finished']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'finished\n');
  t.notRegex(r.stderr, /TimeoutOverflow|timed out/);
});

test('wait --timeout past 24.8 days waits for its condition (30d, and 3000000 s)', async (t) => {
  const h = home();
  await startPython(h);
  for (const timeout of ['30d', '3000000']) {
    const marker = `long-${timeout}`;
    // The marker comes 2 s after the send; --from makes the wait see it however late the wait is armed.
    const sent = parseJson(await h.ccx(['send', 'py', '--json', `import time; time.sleep(2); print("${marker}")`]));
    const r = await h.ccx(['wait', 'py', '--from', String(sent.offset), '--until', `^${marker}`, '--timeout', timeout, '--json']);
    t.is(r.code, 0, `--timeout ${timeout}: ${r.stderr}`);
    t.is(parseJson(r).reason, 'match');
  }
  const help = await h.ccx(['wait', '--help']);
  t.regex(help.stdout, /--timeout[^\n]*\d+d/);
});

// ---- 5. a closed pipe ends a command quietly ----

/** Runs `ccx ...args` with the reading end of its stdout (or stderr) closed before it writes anything. */
function withClosedPipe(h: Home, args: string[], which: 'stdout' | 'stderr'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CCX_BIN, ...args], { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
    h.track(child.pid);
    let stdout = '';
    let stderr = '';
    if (which === 'stdout') child.stdout.destroy();
    else child.stdout.on('data', (d) => (stdout += d));
    if (which === 'stderr') child.stderr.destroy();
    else child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a closed stdout ends every kind of command quietly: daemon status, list, events, --help', async (t) => {
  const h = home();
  await startPython(h);
  for (const args of [['daemon', 'status'], ['list'], ['list', '--json'], ['events'], ['--help'], ['send', '--help']]) {
    const r = await withClosedPipe(h, args, 'stdout');
    t.is(r.stderr, '', `ccx ${args.join(' ')}: ${r.stderr}`);
    t.is(r.code, 0, `ccx ${args.join(' ')}`);
  }
});

test('a closed stderr neither crashes a failing command nor changes its exit code', async (t) => {
  const h = home();
  await startPython(h);
  const r = await withClosedPipe(h, ['send', 'no-such-session', 'x'], 'stderr');
  t.is(r.code, 3);
  t.is(r.stdout, '');
});

// ---- 7. hints that show a command are quoted for the shell ----

test('the hint after a session ended is a shell-quoted ccx start that keeps --name and --preset, and pasting it starts the same program', async (t) => {
  const h = home();
  await h.ccx(['start', '--name', 'fiver', '--preset', 'shell', '--', 'bash', '-c', "read x; echo \"it's $x\"; exit 5"]);
  await h.ccx(['send', 'fiver', 'done']);
  await waitFor(async () => (await h.ccx(['wait', 'fiver', '--exit', '--timeout', '30'])).code === 5, 60_000, 'fiver to exit 5');
  const r = await h.ccx(['send', 'fiver', 'again']);
  t.is(r.code, 1);
  const hint = /^hint: start a new one with: (.*)$/m.exec(r.stderr)?.[1];
  t.is(hint, `ccx start --name fiver --preset shell -- bash -c 'read x; echo "it'\\''s $x"; exit 5'`);
  // Pasted into sh (with this build of ccx first on PATH), it starts the same argv again.
  const bin = h.dir + '/bin';
  await new Promise<void>((resolve, reject) => {
    const mk = spawn('sh', ['-c', `mkdir -p "$1" && printf '#!/bin/sh\\nexec "%s" "%s" "$@"\\n' "$2" "$3" > "$1/ccx" && chmod +x "$1/ccx"`, 'sh', bin, process.execPath, CCX_BIN], { stdio: 'ignore' });
    mk.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mk ${code}`))));
  });
  const pasted = await new Promise<number | null>((resolve) => {
    const sh = spawn('sh', ['-c', hint!], { env: { ...h.env, PATH: `${bin}:${process.env.PATH}` }, stdio: 'ignore' });
    sh.on('close', resolve);
  });
  t.is(pasted, 0);
  const again = parseJson(await h.ccx(['list', '--json'])).find((s: any) => s.name === 'fiver');
  t.deepEqual(again?.command, ['bash', '-c', "read x; echo \"it's $x\"; exit 5"]);
  t.is(again?.preset, 'shell');
});
