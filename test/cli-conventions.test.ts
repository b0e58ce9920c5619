/**
 * What a tmux, pexpect or pm2 user types works as they expect (issue 12):
 * `--` before send's text, timeouts of any length, closed pipes, quoted
 * hints, output conventions (JSON, colour, narrow terminals), names, help and
 * completion. Terminal behaviour runs the real CLI in a node-pty terminal.
 */
import test from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { spawn } from 'node:child_process';
import pty from 'node-pty';
import { CCX_BIN, ccxOnPath, homesFor, isAlive, parseJson, waitFor, type Home } from './helpers/ccx.js';
import { ptysFor } from './helpers/terminals.js';

const home = homesFor(test);

const terminals = ptysFor(test);

interface TerminalRun {
  code: number;
  output: string;
}

/** Printed by the shell around ccx once ccx has exited: all of ccx's output is before it. */
const EXIT_MARK = /\r?\n<<ccx-exit:(\d+)>>/;

/**
 * Runs `ccx ...args` with its stdin, stdout and stderr on a terminal of
 * `cols` columns; `answer` is typed when `prompt` appears. A shell keeps the
 * terminal open after ccx exits, until its exit mark is read: on Linux a
 * program that writes and exits at once can lose all its output to
 * node-pty (microsoft/node-pty#72, #726; CI saw `list` print '').
 */
function inTerminal(h: Home, args: string[], opts: { cols?: number; env?: NodeJS.ProcessEnv; prompt?: RegExp; answer?: string } = {}): Promise<TerminalRun> {
  // An env value of undefined removes the variable (NO_COLOR, FORCE_COLOR from the test runner).
  const env = Object.fromEntries(Object.entries({ ...h.env, ...opts.env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const script = '"$@"; printf \'\\n<<ccx-exit:%d>>\\n\' "$?"; read -r _';
  const p = pty.spawn('/bin/sh', ['-c', script, 'sh', process.execPath, CCX_BIN, ...args], { cols: opts.cols ?? 120, rows: 30, env, name: 'xterm-256color' });
  terminals.push(p);
  let output = '';
  let answered = false;
  let ended: TerminalRun | undefined;
  p.onData((d) => {
    if (ended) return;
    output += d;
    if (opts.prompt && !answered && opts.prompt.test(output)) {
      answered = true;
      p.write(opts.answer ?? '');
    }
    const mark = EXIT_MARK.exec(output);
    if (mark) {
      ended = { code: Number(mark[1]), output: output.slice(0, mark.index) };
      p.write('\r');
    }
  });
  return new Promise((resolve, reject) =>
    p.onExit(({ exitCode }) => (ended ? resolve(ended) : reject(new Error(`the terminal's shell ended (${exitCode}) before ccx's exit mark; output: ${JSON.stringify(output)}`)))),
  );
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

test('send py -- -2*3 --wait → -6: text after -- may start with "-", with send options after it', async (t) => {
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

test('wait --timeout past 24.8 days waits for its condition (30d or 3000000 s)', async (t) => {
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
});

test('wait --help shows a timeout in days', async (t) => {
  const h = home();
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

/** A shell session fiver (its command quoted three ways) that exited 5, then a send to it: the send's result and the hint it printed. */
async function sendToEndedFiver(h: Home) {
  await h.ccx(['start', '--name', 'fiver', '--preset', 'shell', '--', 'bash', '-c', "read x; echo \"it's $x\"; exit 5"]);
  await h.ccx(['send', 'fiver', 'done']);
  await waitFor(async () => (await h.ccx(['wait', 'fiver', '--exit', '--timeout', '30'])).code === 5, 60_000, 'fiver to exit 5');
  const r = await h.ccx(['send', 'fiver', 'again']);
  return { r, hint: /^hint: start a new one with: (.*)$/m.exec(r.stderr)?.[1] };
}

test('the hint after a session ended is a shell-quoted ccx start that keeps --name, --preset', async (t) => {
  const h = home();
  const { r, hint } = await sendToEndedFiver(h);
  t.is(r.code, 1);
  t.is(hint, `ccx start --name fiver --preset shell -- bash -c 'read x; echo "it'\\''s $x"; exit 5'`);
});

test('pasting the hint after a session ended starts the same program', async (t) => {
  const h = home();
  const { hint } = await sendToEndedFiver(h);
  // Pasted into sh (with this build of ccx first on PATH), it starts the same argv again.
  const bin = ccxOnPath(h);
  const pasted = await new Promise<number | null>((resolve) => {
    const sh = spawn('sh', ['-c', hint!], { env: { ...h.env, PATH: `${bin}:${process.env.PATH}` }, stdio: 'ignore' });
    sh.on('close', resolve);
  });
  t.is(pasted, 0);
  const again = parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).find((s) => s.name === 'fiver');
  t.deepEqual(again?.command, ['bash', '-c', "read x; echo \"it's $x\"; exit 5"]);
  t.is(again?.preset, 'shell');
});

// ---- 16. conventions ----

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

test('--json is one compact line into a pipe', async (t) => {
  const h = home();
  await startPython(h);
  for (const args of [['list', '--json'], ['send', 'py', '1', '--json'], ['daemon', 'status', '--json']]) {
    const r = await h.ccx(args);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.split('\n').length, 2, `ccx ${args.join(' ')} prints one line: ${r.stdout.slice(0, 200)}`);
    t.notThrows(() => JSON.parse(r.stdout));
  }
});

test('--json is indented on a terminal', async (t) => {
  const h = home();
  await startPython(h);
  const tty = await inTerminal(h, ['list', '--json']);
  t.is(tty.code, 0);
  t.regex(tty.output, /^\[\r?\n  \{\r?\n    "id"/);
});

test('the "no (running) sessions" notice of list goes to stderr, leaving stdout empty', async (t) => {
  const h = home();
  const r = await h.ccx(['list']);
  t.is(r.code, 0);
  t.is(r.stdout, '');
  t.regex(r.stderr, /no running sessions/);
  const all = await h.ccx(['list', '--all']);
  t.is(all.stdout, '');
  t.regex(all.stderr, /no sessions/);
});

const plainEnv = { NO_COLOR: undefined, FORCE_COLOR: undefined };

test('list colours STATUS on a terminal', async (t) => {
  const h = home();
  await startPython(h);
  const tty = await inTerminal(h, ['list'], { env: plainEnv });
  t.regex(tty.output, /\x1b\[32mrunning/);
});

test('NO_COLOR turns the colours of list off on a terminal', async (t) => {
  const h = home();
  await startPython(h);
  const noColor = await inTerminal(h, ['list'], { env: { ...plainEnv, NO_COLOR: '1' } });
  t.regex(noColor.output, /running/);
  t.notRegex(noColor.output, /\x1b\[3\dm/);
});

test('list colours STATUS into a pipe only with FORCE_COLOR', async (t) => {
  const h = home();
  await startPython(h);
  const forced = await h.ccx(['list'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
  t.regex(forced.stdout, /\x1b\[32mrunning/);
  const pipe = await h.ccx(['list'], { env: { NO_COLOR: '', FORCE_COLOR: undefined } as NodeJS.ProcessEnv });
  t.notRegex(pipe.stdout, ANSI);
});

/** A session brief that exited 3, then cancelled, in text and with --json. */
async function cancelEndedBrief(h: Home) {
  await h.ccx(['start', '--name', 'brief', '--', 'sh', '-c', 'exit 3']);
  await waitFor(async () => (await h.ccx(['wait', 'brief', '--exit', '--timeout', '30'])).code === 3, 60_000, 'brief to exit');
  const r = await h.ccx(['cancel', 'brief']);
  const j = await h.ccx(['cancel', 'brief', '--json']);
  return { r, j };
}

test('cancel of a session that already ended exits 0 (also --json)', async (t) => {
  const { r, j } = await cancelEndedBrief(home());
  t.is(r.code, 0, r.stderr);
  t.is(j.code, 0);
});

test('cancel of a session that already ended says so (also --json)', async (t) => {
  const { r, j } = await cancelEndedBrief(home());
  t.regex(r.stdout, /already exited \(code 3\)/);
  t.like(parseJson(j), { alreadyEnded: true, steps: [], timedOut: false });
});

test('list fits a narrow terminal: every line within its columns, COMMAND cut with …', async (t) => {
  const h = home();
  await h.ccx(['start', '--name', 'long-one', '--', 'sh', '-c', `sleep 600 # ${'x'.repeat(150)}`]);
  await h.ccx(['start', '--', 'sh', '-c', 'exit 7']);
  for (const cols of [60, 80]) {
    const r = await inTerminal(h, ['list', '--all'], { cols });
    t.is(r.code, 0);
    const lines = r.output.replace(ANSI, '').split(/\r?\n/).filter((l) => l.trim());
    t.true(lines.length >= 3, r.output);
    for (const line of lines) t.true(line.length <= cols, `${cols} columns: ${JSON.stringify(line)} is ${line.length}`);
    t.regex(lines.join('\n'), /long-one .*sh -c sleep.*…/);
  }
  // Into a pipe the whole command is printed.
  t.regex((await h.ccx(['list'])).stdout, /x{150}/);
});

test('daemon restart says on stderr which sessions it ends', async (t) => {
  const h = home();
  const id = await startPython(h, 'victim');
  const restart = await h.ccx(['daemon', 'restart']);
  t.is(restart.code, 0, restart.stderr);
  t.regex(restart.stderr, new RegExp(`ending 1 running session:\\n\\s+${id} victim\\s+python3 -q`));
});

test('daemon stop says on stderr which sessions it ends', async (t) => {
  const h = home();
  await startPython(h, 'victim2');
  const stop = await h.ccx(['daemon', 'stop']);
  t.is(stop.code, 0, stop.stderr);
  t.regex(stop.stderr, /ending 1 running session:\n.*victim2/);
});

test('daemon restart on a terminal asks before ending sessions: n keeps them', async (t) => {
  const h = home();
  await startPython(h, 'kept');
  const before = h.daemonPid();
  const no = await inTerminal(h, ['daemon', 'restart'], { prompt: /\[y\/N\] /, answer: 'n\r' });
  t.is(no.code, 1, no.output);
  t.regex(no.output, /kept/);
  t.is(h.daemonPid(), before);
  t.is(parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).length, 1);
});

test('daemon restart on a terminal asks before ending sessions: y restarts', async (t) => {
  const h = home();
  await startPython(h, 'kept');
  const before = h.daemonPid();
  const yes = await inTerminal(h, ['daemon', 'restart'], { prompt: /\[y\/N\] /, answer: 'y\r' });
  t.is(yes.code, 0, yes.output);
  t.not(h.daemonPid(), before);
});

test('daemon restart --yes on a terminal restarts without asking', async (t) => {
  const h = home();
  await startPython(h, 'kept');
  const flagged = await inTerminal(h, ['daemon', 'restart', '--yes']);
  t.is(flagged.code, 0, flagged.output);
  t.notRegex(flagged.output, /\[y\/N\]/);
});

test('daemon restart from a script (no terminal) is never asked', async (t) => {
  const h = home();
  // No terminal on stdin (h.ccx): never asked, even with sessions running.
  await startPython(h, 'kept');
  const script = await h.ccx(['daemon', 'restart']);
  t.is(script.code, 0, script.stderr);
  t.notRegex(script.stderr, /\[y\/N\]/);
});

test('names: an id is not a name', async (t) => {
  const h = home();
  const other = parseJson(await h.ccx(['start', '--json', '--', 'sleep', '600'])).id;
  const asId = await h.ccx(['start', '--name', other, '--', 'sleep', '600']);
  t.is(asId.code, 1);
  t.regex(asId.stderr, /E_NAME_TAKEN/);
});

test('names: --reuse needs --name', async (t) => {
  const h = home();
  const noName = await h.ccx(['start', '--reuse', '--', 'sleep', '600']);
  t.is(noName.code, 2);
  t.regex(noName.stderr, /--reuse needs --name.*\[E_USAGE\]/);
});

/** A session named job running sleep 600; its id. */
async function startJob(h: Home): Promise<string> {
  return parseJson(await h.ccx(['start', '--json', '--name', 'job', '--', 'sleep', '600'])).id;
}

test('names: a reuse with another command is said on stderr', async (t) => {
  const h = home();
  const first = await startJob(h);
  const reused = await h.ccx(['start', '--name', 'job', '--reuse', '--', 'sleep', '700']);
  t.is(reused.code, 0);
  t.is(reused.stdout.trim(), first);
  t.regex(reused.stderr, /reused session job .*sleep 600, not sleep 700/);
});

test('names: a reuse with the same command prints nothing on stderr', async (t) => {
  const h = home();
  await startJob(h);
  const same = await h.ccx(['start', '--name', 'job', '--reuse', '--', 'sleep', '600']);
  t.is(same.stderr, '');
});

test('names: a start that takes the name of an ended session says so on stderr', async (t) => {
  const h = home();
  const first = await startJob(h);
  await h.ccx(['kill', 'job']);
  const taken = await h.ccx(['start', '--name', 'job', '--', 'sleep', '600']);
  t.is(taken.code, 0, taken.stderr);
  t.regex(taken.stderr, new RegExp(`the name job now belongs to ${taken.stdout.trim()}; the ended session ${first}`));
});

test('names: a run that takes the name of an ended run says so on stderr', async (t) => {
  const h = home();
  // run too: the second nightly run takes the name from the first.
  await h.ccx(['run', '--name', 'nightly', '--', 'true']);
  const second = await h.ccx(['run', '--name', 'nightly', '--', 'true']);
  t.is(second.code, 0);
  t.regex(second.stderr, /the name nightly now belongs to \w+; the ended session \w+ that had it keeps its id/);
});

// ---- 17. help and completion ----

test('ccx help send is the help of send', async (t) => {
  const h = home();
  const help = await h.ccx(['help', 'send']);
  t.is(help.code, 0, help.stderr);
  t.regex(help.stdout, /^ccx send <id> \[text\.\.\]/);
  t.regex(help.stdout, /--wait/);
});

test('ccx completion --help is help, not a script', async (t) => {
  const h = home();
  const completionHelp = await h.ccx(['completion', '--help']);
  t.is(completionHelp.code, 0, completionHelp.stderr);
  t.regex(completionHelp.stdout, /^ccx completion \[shell\]/);
  t.notRegex(completionHelp.stdout, /complete -|compdef/);
});

test('ccx completion bash|zsh|fish prints that shell\'s script', async (t) => {
  const h = home();
  const expected: Record<string, RegExp> = { bash: /complete -o default -F _ccx_completion ccx/, zsh: /compdef _ccx_completion ccx/, fish: /complete -c ccx .*__ccx_complete/ };
  for (const [shell, re] of Object.entries(expected)) {
    const r = await h.ccx(['completion', shell]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, re, shell);
    t.regex(r.stdout, /ccx __complete/);
  }
});

test('ccx completion of an unknown shell is a usage error', async (t) => {
  const h = home();
  t.is((await h.ccx(['completion', 'tcsh'])).code, 2);
});

/** A home with a session completer whose daemon was then stopped, and bash completion of a command line in it (COMPREPLY). */
async function completionWithoutDaemon(h: Home) {
  const id = parseJson(await h.ccx(['start', '--json', '--name', 'completer', '--', 'sleep', '600'])).id;
  await h.ccx(['daemon', 'stop']);
  const bin = ccxOnPath(h);
  const script = (await h.ccx(['completion', 'bash'])).stdout;
  const tab = (words: string[]): Promise<string[]> =>
    new Promise((resolve) => {
      const line = `COMP_WORDS=(ccx ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _ccx_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const sh = spawn('bash', ['--norc', '-c', `${script}\n${line}`], { env: { ...h.env, PATH: `${bin}:${process.env.PATH}` } });
      let out = '';
      sh.stdout.on('data', (d) => (out += d));
      sh.on('close', () => resolve(out.split('\n').filter(Boolean)));
    });
  return { id, tab };
}

test('bash completion offers commands, options, session names or ids, read from disk with no daemon running', async (t) => {
  const h = home();
  const { id, tab } = await completionWithoutDaemon(h);
  t.true((await tab(['se'])).includes('send'));
  t.deepEqual(await tab(['send', 'comp']), ['completer']);
  t.true((await tab(['logs', ''])).includes(id));
  t.true((await tab(['send', 'completer', '--wa'])).includes('--wait'));
  t.deepEqual(await tab(['send', 'completer', '--print', 's']), ['screen']);
  t.deepEqual(await tab(['completion', 'f']), ['fish']);
  t.deepEqual(await tab(['start', '--preset', 'py']), ['python']);
});

test('bash completion starts no daemon', async (t) => {
  const h = home();
  const { tab } = await completionWithoutDaemon(h);
  for (const words of [['se'], ['send', 'comp'], ['logs', ''], ['send', 'completer', '--wa'], ['send', 'completer', '--print', 's'], ['completion', 'f'], ['start', '--preset', 'py']]) await tab(words);
  const pid = h.daemonPid();
  t.false(pid !== undefined && isAlive(pid), 'completion started no daemon');
});
