import test, { type ExecutionContext } from 'ava';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import { CCX_BIN, ccxOk, homesFor, isAlive, parseJson, waitFor, type Home } from './helpers/ccx.js';

const home = homesFor(test);
/** Generous: these waits are for conditions, and the machine may be loaded. */
const WAIT_MS = 60_000;

/** Pids of daemon processes started for this home (they carry its CCX_HOME). */
function daemonsOf(h: Home): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        const env = readFileSync(`/proc/${p}/environ`, 'utf8');
        return cmd.includes('daemon/dist/main.js') && env.includes(`CCX_HOME=${h.dir}\0`) && isAlive(Number(p));
      } catch {
        return false;
      }
    })
    .map(Number);
}

// ---- issue 12 point 3: a daemon whose files were removed ------------------------

/** A daemon with a session keep whose socket file was removed, once the socket is back; the session id and the daemon pid. */
async function socketRemovedUnderDaemon(h: Home): Promise<{ id: string; pid: number }> {
  const id = await ccxOk(h, ['start', '--name', 'keep', '--', 'sleep', '600']);
  const pid = h.daemonPid()!;
  const socket = join(h.dir, 'run', 'ccxd.sock');
  rmSync(socket);
  await waitFor(() => existsSync(socket), WAIT_MS, 'the socket to be re-created');
  return { id, pid };
}

test('the sessions of a daemon whose socket file was removed stay reachable', async (t) => {
  const h = home();
  const { id } = await socketRemovedUnderDaemon(h);
  const list = parseJson<Array<{ id: string; status: string }>>(await h.ccx(['list', '--json']));
  t.deepEqual(list.map((s) => [s.id, s.status]), [[id, 'running']]);
});

test('a removed socket file is re-created by the running daemon itself', async (t) => {
  const h = home();
  const { pid } = await socketRemovedUnderDaemon(h);
  await h.ccx(['list', '--json']);
  t.is(h.daemonPid(), pid, 'the same daemon answers');
  t.deepEqual(daemonsOf(h), [pid], 'no second daemon was started');
});

test('SIGUSR1 makes the daemon re-create its socket, as tmux does', async (t) => {
  const h = home();
  await ccxOk(h, ['daemon', 'start']);
  const pid = h.daemonPid()!;
  const socket = join(h.dir, 'run', 'ccxd.sock');
  rmSync(socket);
  process.kill(pid, 'SIGUSR1');
  await waitFor(() => existsSync(socket), WAIT_MS, 'the socket to be re-created');
  const log = await waitFor(() => {
    const text = readFileSync(join(h.dir, 'state', 'daemon.log'), 'utf8');
    if (/"msg":"socket re-created".*"reason":"SIGUSR1"/.test(text)) return text;
    // The 2 s poll may have been re-creating it when the signal came (the two are one re-creation): ask again.
    process.kill(pid, 'SIGUSR1');
    return undefined;
  }, WAIT_MS, 'the log line of the re-creation');
  t.truthy(log);
  t.true(isAlive(pid));
  t.is((await h.ccx(['list'])).code, 0);
});

/** A daemon with a session orphan whose CCX_HOME was removed, once the daemon and the session's program ended. */
async function homeRemovedUnderDaemon(t: ExecutionContext, h: Home): Promise<{ daemon: number } | undefined> {
  await ccxOk(h, ['start', '--name', 'orphan', '--', 'sleep', '600']);
  const [info] = parseJson<Array<{ pid: number }>>(await h.ccx(['list', '--json']));
  if (!info) return void t.fail('no session listed');
  const daemon = h.daemonPid()!;
  h.track(daemon);
  h.track(info.pid);
  t.true(isAlive(info.pid));
  // As `rm -rf` may, a removal can meet a file the daemon writes meanwhile (ENOTEMPTY): remove again.
  await waitFor(() => {
    try {
      rmSync(h.dir, { recursive: true, force: true });
    } catch {}
    return !existsSync(h.dir);
  }, WAIT_MS, 'the home to be removed');
  await waitFor(() => !isAlive(daemon), WAIT_MS, 'the daemon to exit');
  await waitFor(() => !isAlive(info.pid), WAIT_MS, "the session's program to end");
  return { daemon };
}

test('removing CCX_HOME ends its daemon with its sessions, the home not re-created', async (t) => {
  const h = home();
  if (!(await homeRemovedUnderDaemon(t, h))) return;
  t.false(existsSync(h.dir), 'the dying daemon did not re-create the home');
});

test('after CCX_HOME was removed, the next command starts one fresh daemon', async (t) => {
  const h = home();
  const removed = await homeRemovedUnderDaemon(t, h);
  if (!removed) return;
  const { daemon } = removed;
  const list = await h.ccx(['list', '--json', '--all']);
  t.is(list.code, 0, list.stderr);
  t.deepEqual(JSON.parse(list.stdout), []);
  // The registry is written just after the socket starts answering.
  const fresh = await waitFor(() => h.daemonPid(), WAIT_MS, 'the new daemon’s registry');
  t.not(fresh, daemon);
  t.deepEqual(daemonsOf(h), [fresh], 'exactly one daemon serves the new home');
});

// ---- issue 12 point 4: an unfinished last line reaches a follower --------------

/** Everything a child has written to stdout so far, kept up to date. */
function collect(child: ChildProcess): { text(): string } {
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => (out += chunk));
  return { text: () => out };
}

test('logs -f prints a prompt without a newline as soon as the program writes it', async (t) => {
  const h = home();
  const id = await ccxOk(h, ['start', '--', 'bash', '-c', 'stty -echo; printf "line1\\nContinue? [y/N] "; read a; echo "got $a"; sleep 600']);
  const follower = collect(h.spawnCcx(['logs', '-f', id]));
  await waitFor(() => follower.text() === 'line1\nContinue? [y/N] ', WAIT_MS, 'the prompt on the follower');
  await ccxOk(h, ['send', id, 'y']);
  await waitFor(() => follower.text() === 'line1\nContinue? [y/N] got y\n', WAIT_MS, 'the answer on the follower');
  t.pass();
});

test('logs -f --tail 1 prints the last line even when it is unfinished', async (t) => {
  const h = home();
  const id = await ccxOk(h, ['start', '--', 'bash', '-c', 'printf "one\\ntwo\\n$ "; sleep 600']);
  await waitFor(async () => (await h.ccx(['logs', id])).stdout.endsWith('$ '), WAIT_MS, 'the prompt in the log');
  const follower = collect(h.spawnCcx(['logs', '-f', '--tail', '1', id]));
  await waitFor(() => follower.text() === '$ ', WAIT_MS, 'the unfinished last line on the follower');
  t.is((await h.ccx(['logs', '--tail', '1', id])).stdout, '$ ');
});

test('run into a pipe shows a prompt before the program ends', async (t) => {
  const h = home();
  const run = collect(h.spawnCcx(['run', '--', 'bash', '-c', 'printf "Name? "; sleep 600']));
  await waitFor(() => run.text() === 'Name? ', WAIT_MS, 'the prompt on run’s stdout');
  t.pass();
});

/** A program that prints a prompt, then on each Enter redraws its line: extended (ask> more), changed (10%), finished (20%). Its id and a logs -f of it, up to the extended line. */
async function redrawingProgram(h: Home) {
  const script = "stty -echo; printf 'ask> '; read x; printf '\\r\\033[Kask> more'; read x; printf '\\r10%%\\033[K'; read x; printf '\\r20%%\\033[K\\n'; sleep 600";
  const id = await ccxOk(h, ['start', '--', 'bash', '-c', script]);
  const follower = collect(h.spawnCcx(['logs', '-f', id]));
  await waitFor(() => follower.text() === 'ask> ', WAIT_MS, 'the prompt');
  await ccxOk(h, ['send', id, '']);
  await waitFor(() => follower.text() === 'ask> more', WAIT_MS, 'the redrawn line, extended');
  return { id, follower };
}

/** The redrawing program taken to its finished line, followed all along. */
async function redrawnToTheEnd(h: Home) {
  const { id, follower } = await redrawingProgram(h);
  await ccxOk(h, ['send', id, '']);
  await waitFor(() => follower.text() === 'ask> more\n10%', WAIT_MS, 'the changed line on a new line');
  await ccxOk(h, ['send', id, '']);
  await waitFor(() => follower.text() === 'ask> more\n10%\n20%\n', WAIT_MS, 'the finished line');
  return id;
}

test('logs -f: a redraw that adds to the shown line prints only the addition', async (t) => {
  await redrawingProgram(home());
  t.pass();
});

test('logs -f: a redraw that changes the shown line continues on a new line', async (t) => {
  await redrawnToTheEnd(home());
  t.pass();
});

test('logs without -f prints each redrawn line once, as it finally looks', async (t) => {
  const h = home();
  const id = await redrawnToTheEnd(h);
  // Without -f each line is printed once, as it finally looks.
  t.is((await h.ccx(['logs', id])).stdout, '20%\n');
});

// ---- issue 12 point 9: run's standard input ------------------------------------

test('run types a piped stdin into the program', async (t) => {
  const h = home();
  const r = await h.ccx(['run', '--', 'cat'], { input: 'hi\n' });
  t.is(r.code, 0, r.stderr);
  // cat's copy (the terminal echoes the typed line too, as any PTY does).
  t.true(r.stdout.split('\n').filter((l) => l === 'hi').length >= 1, r.stdout);
});

test('run ends a piped stdin with the terminal EOF, a last line without newline included', async (t) => {
  const h = home();
  const noNewline = await h.ccx(['run', '--', 'sh', '-c', 'read x; echo "read:$x"'], { input: 'abc' });
  t.is(noNewline.code, 0, noNewline.stderr);
  t.true(noNewline.stdout.includes('read:abc\n'), noNewline.stdout);
});

test('run --no-stdin gives the program no input', async (t) => {
  const h = home();
  const r = await h.ccx(['run', '--no-stdin', '--', 'bash', '-c', 'if read -t 2 x; then echo "got:$x"; else echo none; fi'], { input: 'hello\n' });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'none\n');
});

test('run on a terminal forwards keystrokes raw: Ctrl-D at line start ends cat', async (t) => {
  const h = home();
  const p = pty.spawn(process.execPath, [CCX_BIN, 'run', '--', 'cat'], { cols: 80, rows: 24, env: h.env as Record<string, string>, name: 'xterm-256color' });
  let out = '';
  p.onData((d) => (out += d));
  const exit = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
  try {
    // Typed only once cat runs: its session is listed as running.
    await waitFor(async () => parseJson<Array<{ command: string[] }>>(await h.ccx(['list', '--json'])).some((s) => s.command[0] === 'cat'), WAIT_MS, 'cat to run');
    p.write('hello\r');
    await waitFor(() => /hello[\s\S]*hello/.test(out), WAIT_MS, 'the line echoed and copied by cat');
    p.write('\x04');
    t.is(await exit, 0);
  } finally {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {}
  }
});

test('run exits 127 for a program that is not found', async (t) => {
  const h = home();
  const missing = await h.ccx(['run', '--', 'ccx-no-such-program']);
  t.is(missing.code, 127, missing.stderr);
  t.regex(missing.stderr, /command not found: ccx-no-such-program \[E_SPAWN\]/);
});

test('run exits 126 for a program that cannot be executed', async (t) => {
  const h = home();
  const file = join(h.dir, 'not-executable.sh');
  writeFileSync(file, 'echo hi\n', { mode: 0o644 });
  const denied = await h.ccx(['run', '--', file]);
  t.is(denied.code, 126, denied.stderr);
  t.regex(denied.stderr, /not executable \[E_SPAWN\]/);
  t.is((await h.ccx(['run', '--', h.dir])).code, 126, 'a directory cannot be executed either');
});

// ---- issue 12 point 10: rotation and bad settings -------------------------------

/** seq 1 100000 under a 64 KiB output log cap, once ended: its id and logs --raw of it. */
async function rotatedSeq(t: ExecutionContext, h: Home) {
  const env = { CCX_OUTPUT_LOG_BYTES: '64k' };
  t.is((await h.ccx(['daemon', 'start'], { env })).code, 0);
  const id = await ccxOk(h, ['start', '--', 'seq', '1', '100000']);
  await waitFor(async () => parseJson<Array<{ id: string; status: string }>>(await h.ccx(['list', '--all', '--json'])).some((s) => s.id === id && s.status !== 'running'), WAIT_MS, 'seq to end');
  const raw = await h.ccx(['logs', id, '--raw']);
  return { id, raw };
}

test('after rotation, logs text starts at a line boundary', async (t) => {
  const h = home();
  const { id, raw } = await rotatedSeq(t, h);
  // What is kept starts inside a line whose start was rotated away: text begins after its end.
  const kept = raw.stdout;
  const expected = kept.slice(kept.indexOf('\n') + 1).replace(/\r\n/g, '\n');
  const lines = expected.trimEnd().split('\n').map(Number);
  t.true(lines.length > 1000 && lines.every((n, i) => n === lines[0]! + i) && lines.at(-1) === 100000, 'whole, consecutive numbers');

  const text = await h.ccx(['logs', id]);
  t.is(text.code, 0, text.stderr);
  t.is(text.stdout, expected);
  const tail = await h.ccx(['logs', id, '--tail', '1000000']);
  t.is(tail.stdout, expected);
  t.is((await h.ccx(['logs', id, '--tail', '2'])).stdout, '99999\n100000\n');
  const follow = await h.ccx(['logs', '-f', id]);
  t.is(follow.stdout, expected);
});

test('after rotation, logs says on stderr what was rotated out', async (t) => {
  const h = home();
  const { id, raw } = await rotatedSeq(t, h);
  t.regex(raw.stderr, /rotated out of the log/);
  const text = await h.ccx(['logs', id]);
  t.regex(text.stderr, /^ccx: the first .* were rotated out of the log/);
});

test('after rotation, logs --tail prints no rotation notice', async (t) => {
  const h = home();
  const { id } = await rotatedSeq(t, h);
  const tail = await h.ccx(['logs', id, '--tail', '1000000']);
  t.notRegex(tail.stdout + tail.stderr, /rotated/);
});

test('a bad CCX_OUTPUT_LOG_BYTES (or other setting) keeps the daemon from starting, with a clear message', async (t) => {
  const h = home();
  for (const env of [{ CCX_OUTPUT_LOG_BYTES: 'banana' }, { CCX_IDLE_AFTER_MS: 'soon' }]) {
    const r = await h.ccx(['list'], { env });
    t.is(r.code, 4, r.stderr);
    const [name, value] = Object.entries(env)[0]!;
    t.true(r.stderr.includes(`the daemon could not start (exit 1)`), r.stderr);
    t.true(r.stderr.includes(`${name}=${value}`), r.stderr);
    t.is(h.daemonPid(), undefined, 'no daemon serves');
  }
  t.is((await h.ccx(['list'], { env: { CCX_OUTPUT_LOG_BYTES: '64k' } })).code, 0, 'a good value starts it');
});
