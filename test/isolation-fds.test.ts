/**
 * Issue 11, point 2: no file descriptor crosses sessions. A session's
 * programs hold their own terminal on 0-2 and nothing else from ccx: no PTY
 * master of another session (node-pty 1.1.0 left them without close-on-exec),
 * and nothing the caller leaked into `ccx`.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CCX_BIN, ccxOk, homesFor, isAlive, parseJson, startSession, tempDirsFor, waitFor, waitForOutput } from './helpers/ccx.js';

const home = homesFor(test);
const tempDir = tempDirsFor(test, 'ccxfd-');

/** fd number -> what it points at, read from /proc (the test runs as the sessions' user). */
function openFds(pid: number): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/${pid}/fd/${name}`));
    } catch {
      // Closed while listed.
    }
  }
  return fds;
}

test('a session started after others holds only its own terminal, on 0-2', async (t) => {
  const h = home();
  for (let i = 0; i < 3; i++) await startSession(h, ['--', 'sleep', '1000']);
  const last = await startSession(h, ['--', 'sleep', '1000']);
  const fds = openFds(last.pid);
  t.deepEqual([...fds.keys()].sort((a, b) => a - b), [0, 1, 2], `fds of the 4th session: ${JSON.stringify([...fds])}`);
  const terminals = new Set(fds.values());
  t.is(terminals.size, 1);
  t.regex([...terminals][0]!, /^\/dev\/pts\/\d+$/);
});

test('a session cannot type into an earlier session through any fd it holds', async (t) => {
  const h = home();
  const victim = await startSession(h, ['--name', 'victim', '--', 'cat']);
  // Writes a line ending in CR to every fd from 3 to 255: on today's main one of
  // them is the victim's PTY master, and the line arrives as the victim's input.
  const probe = await startSession(h, [
    '--name', 'probe', '--',
    // bash, not sh: dash cannot redirect to an fd above 9. Each write in its
    // own `timeout`: a pipe inherited from the caller may be full and block.
    'bash', '-c', 'for i in $(seq 3 255); do timeout 2 bash -c "printf \\"INJECTED-%s\\\\r\\" $i >&$i" 2>/dev/null; done; echo PROBE-DONE; sleep 1000',
  ]);
  await waitForOutput(h, probe.id, 'PROBE-DONE', 30_000);
  // Input reaches the victim in order: once this sentinel is echoed, anything the probe wrote would be too.
  await ccxOk(h, ['send', 'victim', 'SENTINEL-AFTER-PROBE']);
  const text = await waitForOutput(h, victim.id, 'SENTINEL-AFTER-PROBE', 30_000);
  t.false(text.includes('INJECTED-'), `the victim received input from the probe session: ${JSON.stringify(text.slice(0, 300))}`);
});

test('an fd the caller leaked into ccx reaches neither the daemon nor its sessions', async (t) => {
  const h = home();
  const leakedPath = join(tempDir(), 'leaked-by-caller');
  // fd 200 of the CLI, without close-on-exec, as a shell's `exec 200>file` leaves it.
  // (A low fd such as 9 given through spawn's stdio does not show the leak: Node
  // reuses low numbers at start.)
  const cli = spawn('bash', ['-c', 'exec "$0" "$1" start --json -- sleep 1000 200>"$2"', process.execPath, CCX_BIN, leakedPath], {
    env: h.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  h.track(cli.pid);
  let stdout = '';
  cli.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
  t.is(code, 0);
  const session = parseJson({ code: 0, stdout, stderr: '' });
  h.track(session.pid);
  const daemon = await waitFor(() => h.daemonPid(), 15_000, 'daemon pid');
  t.true(isAlive(daemon));
  const holders = [daemon, session.pid].filter((pid) => [...openFds(pid).values()].includes(leakedPath));
  t.deepEqual(holders, [], `processes holding the caller's fd: daemon ${daemon}, session ${session.pid}`);
});

test("a SIGHUP ignorer in one session does not keep another session's program alive after kill -9 of the daemon", async (t) => {
  const h = home();
  const victim = await startSession(h, ['--', 'sleep', '1000']);
  // Started after the victim: on today's main it holds the victim's PTY master, so that terminal never hangs up.
  const ignorer = await startSession(h, ['--', 'sh', '-c', 'trap "" HUP; echo TRAPPED; while :; do sleep 1; done']);
  await waitForOutput(h, ignorer.id, 'TRAPPED');
  const daemon = h.daemonPid()!;
  process.kill(daemon, 'SIGKILL');
  await waitFor(() => !isAlive(daemon), 15_000, 'daemon to die');
  // No new daemon is started: only the hang-up of its terminal can end the victim.
  t.true(await waitFor(() => !isAlive(victim.pid), 15_000, 'the victim to get SIGHUP from its closed terminal'));
  t.true(isAlive(ignorer.pid), 'the ignorer outlived the hang-up, as it asked');
  // A new daemon reaps the ignorer (and, stopped at teardown, removes the sessions' cgroups).
  await ccxOk(h, ['list']);
  t.true(await waitFor(() => !isAlive(ignorer.pid), 15_000, 'the reaper to end the ignorer'));
});
