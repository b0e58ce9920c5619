/**
 * Issue 11, points 3 and 4: a session's processes end with it, wherever they
 * went (setsid -f, env -i, an unset CCX_SESSION_ID), and never another
 * daemon. CI runs as root, so the daemon keeps a cgroup per session (the v1
 * pids hierarchy here); the tests marked "fallback" run the daemon with
 * CCX_CGROUP=off, where it finds processes by the terminal they hold.
 */
import test, { type ExecutionContext } from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ccxOk, homesFor, isAlive, parseJson, startSession, tempDirsFor, waitFor, waitForOutput, type Home } from './helpers/ccx.js';

const home = homesFor(test);
const tempDir = tempDirsFor(test, 'ccxpr-');

/**
 * A shell command that starts `sleep 1000` in a new process session with an
 * empty environment (so no CCX_SESSION_ID), its pid written to `pidFile`.
 * `detach` also closes the terminal on 0-2, so only a cgroup can find it.
 */
function escapee(pidFile: string, opts: { detach: boolean; env?: 'empty' | 'unset-marker' }): string {
  const redirect = opts.detach ? ' </dev/null >/dev/null 2>&1' : '';
  const env = opts.env === 'unset-marker' ? '/usr/bin/env -u CCX_SESSION_ID' : '/usr/bin/env -i';
  return `${env} /usr/bin/setsid -f /bin/sh -c 'echo $$ > ${pidFile}; exec /bin/sleep 1000'${redirect}`;
}

/** Starts a session whose program leaves an escapee behind, waits for its pid, tracks it for teardown. */
async function startWithEscapee(h: Home, opts: { detach: boolean; env?: 'empty' | 'unset-marker'; leaderExits?: boolean; env2?: NodeJS.ProcessEnv }): Promise<{ session: SessionInfo; escapee: number }> {
  const pidFile = join(tempDir(), 'escapee.pid');
  // A leader that exits first waits for the pid file: exiting before the child's
  // setsid() would SIGHUP it (it is still in the terminal's foreground group).
  const tail = opts.leaderExits ? `while [ ! -s ${pidFile} ]; do sleep 0.05; done; echo STARTED` : 'echo STARTED; exec sleep 1000';
  const session = await startSession(h, ['--', 'sh', '-c', `${escapee(pidFile, opts)}; ${tail}`], opts.env2);
  await waitForOutput(h, session.id, 'STARTED');
  const pid = await waitFor(() => {
    try {
      const n = Number(readFileSync(pidFile, 'utf8').trim());
      return n > 0 && isAlive(n) ? n : undefined;
    } catch {
      return undefined;
    }
  }, 15_000, 'escapee pid');
  h.track(pid);
  return { session, escapee: pid };
}

const gone = (pid: number, what: string): Promise<true> => waitFor(() => !isAlive(pid), 15_000, `${what}: pid ${pid} to end`);

test('cancel ends a program that left with setsid -f, env -i, its terminal closed', async (t) => {
  const h = home();
  const { session, escapee: pid } = await startWithEscapee(h, { detach: true });
  await ccxOk(h, ['cancel', session.id, '--grace', '1']);
  t.true(await gone(pid, 'escapee after cancel'));
});

test('kill ends a program that unset CCX_SESSION_ID before leaving with setsid -f', async (t) => {
  const h = home();
  const { session, escapee: pid } = await startWithEscapee(h, { detach: true, env: 'unset-marker' });
  await ccxOk(h, ['kill', session.id]);
  t.true(await gone(pid, 'escapee after kill'));
});

test('daemon stop ends a detached escapee of a running session', async (t) => {
  const h = home();
  const { escapee: pid } = await startWithEscapee(h, { detach: true });
  await ccxOk(h, ['daemon', 'stop']);
  t.true(await gone(pid, 'escapee after daemon stop'));
});

test('the start-up reaper ends a detached escapee of a session whose daemon was killed', async (t) => {
  const h = home();
  const { escapee: pid } = await startWithEscapee(h, { detach: true });
  const daemon = h.daemonPid()!;
  process.kill(daemon, 'SIGKILL');
  await waitFor(() => !isAlive(daemon), 15_000, 'daemon to die');
  t.true(isAlive(pid), 'the escapee outlived its daemon (nothing else ends it)');
  await ccxOk(h, ['list']);
  t.true(await gone(pid, 'escapee after the reaper'));
});

/** A session whose leader exited, leaving its setsid -f child. */
async function leaderExitedWithChild(h: Home) {
  const started = await startWithEscapee(h, { detach: true, leaderExits: true });
  await waitFor(async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.id === started.session.id)?.status === 'exited', 15_000, 'leader exit');
  return started;
}

test('a leader that exits leaves its setsid -f child listed in leftoverPids', async (t) => {
  const h = home();
  const { session, escapee: pid } = await leaderExitedWithChild(h);
  const listed = parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).find((s) => s.id === session.id)!;
  t.truthy(listed, 'an ended session with processes left is listed without --all');
  t.deepEqual(listed.leftoverPids, [pid]);
});

test('cancel of an ended session ends the setsid -f child its leader left', async (t) => {
  const h = home();
  const { session, escapee: pid } = await leaderExitedWithChild(h);
  const cancelled = parseJson(await h.ccx(['cancel', session.id, '--json']));
  t.is(cancelled.session.status, 'exited', 'the session keeps its status');
  t.deepEqual(cancelled.session.leftoverPids, []);
  t.deepEqual(cancelled.endedLeftovers, [pid]);
  t.true(await gone(pid, 'leftover after cancel'));
  t.deepEqual(parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])), [], 'nothing left to list');
});

test('rm of an ended session ends the setsid -f child its leader left', async (t) => {
  const h = home();
  const { session, escapee: pid } = await startWithEscapee(h, { detach: false, leaderExits: true });
  await waitFor(async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.id === session.id)?.status === 'exited', 15_000, 'leader exit');
  await ccxOk(h, ['rm', session.id]);
  t.true(await gone(pid, 'leftover after rm'));
});

test('daemon stop ends the setsid -f child of a session whose leader exited', async (t) => {
  const h = home();
  const { session, escapee: pid } = await startWithEscapee(h, { detach: true, leaderExits: true });
  await waitFor(async () => parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((s) => s.id === session.id)?.status === 'exited', 15_000, 'leader exit');
  await ccxOk(h, ['daemon', 'stop']);
  t.true(await gone(pid, 'leftover after daemon stop'));
});

test('with cgroup2 only (as on most systems), cancel ends a detached env -i setsid -f program', async (t) => {
  const h = home();
  const { session, escapee: pid } = await startWithEscapee(h, { detach: true, env2: { CCX_CGROUP: 'v2' } });
  t.is(parseJson(await h.ccx(['daemon', 'status', '--json'])).sessionProcesses, 'cgroup-v2', 'needs root and a cgroup2 mount (CI has both)');
  await ccxOk(h, ['cancel', session.id, '--grace', '1']);
  t.true(await gone(pid, 'escapee after cancel (cgroup2)'));
});

test('fallback without cgroups: cancel ends an env -i setsid -f program that still holds the terminal', async (t) => {
  const h = home();
  const off = { CCX_CGROUP: 'off' };
  const { session, escapee: pid } = await startWithEscapee(h, { detach: false, env2: off });
  const status = parseJson(await h.ccx(['daemon', 'status', '--json']));
  t.is(status.sessionProcesses, 'proc');
  await ccxOk(h, ['cancel', session.id, '--grace', '1']);
  t.true(await gone(pid, 'escapee after cancel (fallback)'));
});

/** A session of one home that started, by a ccx start, the daemon of another home and a session there. */
async function daemonStartedInsideSession() {
  const outer = home();
  const inner = home();
  // The outer session starts a daemon for the inner home (by starting a session there), then waits.
  const outerSession = await startSession(outer, [
    '--', 'sh', '-c', `CCX_HOME=${inner.dir} node ${join(process.cwd(), 'packages', 'cli', 'bin', 'ccx')} start --name inner -- sleep 1000 && echo INNER-STARTED; exec sleep 1000`,
  ]);
  await waitForOutput(outer, outerSession.id, 'INNER-STARTED', 60_000);
  const innerDaemon = await waitFor(() => inner.daemonPid(), 15_000, 'inner daemon');
  inner.track(innerDaemon);
  return { outer, inner, outerSession, innerDaemon };
}

test('a daemon started inside a session for another home carries no session marker', async (t) => {
  const { innerDaemon } = await daemonStartedInsideSession();
  const environ = readFileSync(`/proc/${innerDaemon}/environ`, 'utf8');
  t.false(environ.includes('CCX_SESSION_ID='), 'the inner daemon inherited the outer session marker');
});

test('a daemon started inside a session for another home survives cancel of that session', async (t) => {
  const { outer, inner, outerSession, innerDaemon } = await daemonStartedInsideSession();
  const innerSession = parseJson<SessionInfo[]>(await inner.ccx(['list', '--json'])).find((s) => s.name === 'inner')!;
  inner.track(innerSession.pid);
  await ccxOk(outer, ['cancel', outerSession.id, '--grace', '1']);
  await waitFor(() => !isAlive(outerSession.pid), 15_000, 'outer session to end');
  t.true(isAlive(innerDaemon), 'cancel of the outer session ended the inner daemon');
  t.true(isAlive(innerSession.pid!), "cancel of the outer session ended the inner daemon's session");
  t.is(parseJson<SessionInfo[]>(await inner.ccx(['list', '--json'])).find((s) => s.name === 'inner')?.status, 'running');
});

/** A foreground ccx daemon of another home run in the background of a session's sh, with a session of its own; then that outer session cancelled. */
async function foregroundDaemonInCancelledSession(t: ExecutionContext) {
  const outer = home();
  const inner = home();
  const ccx = join(process.cwd(), 'packages', 'cli', 'bin', 'ccx');
  // In the background of a non-interactive sh: the same process group as the
  // leader (the terminal's foreground group), the outer marker in its environ.
  const outerSession = await startSession(outer, ['--', 'sh', '-c', `CCX_HOME=${inner.dir} node ${ccx} daemon run & exec sleep 1000`]);
  const innerDaemon = await waitFor(() => inner.daemonPid(), 30_000, 'inner foreground daemon');
  inner.track(innerDaemon);
  t.true(readFileSync(`/proc/${innerDaemon}/environ`, 'utf8').includes(`CCX_SESSION_ID=${outerSession.id}`), 'the daemon runs with the outer marker, as a foreground daemon does');
  const innerSession = await startSession(inner, ['--name', 'inner', '--', 'sleep', '1000']);
  await ccxOk(outer, ['cancel', outerSession.id, '--grace', '1']);
  await waitFor(() => !isAlive(outerSession.pid), 15_000, 'outer session to end');
  return { inner, innerDaemon, innerSession };
}

test('a foreground ccx daemon run inside a session (with its marker, cgroup, process group) is never signalled by that session cancel', async (t) => {
  const { inner, innerDaemon, innerSession } = await foregroundDaemonInCancelledSession(t);
  t.true(isAlive(innerDaemon), 'cancel of the outer session signalled the inner daemon');
  t.true(isAlive(innerSession.pid), "cancel of the outer session ended the inner daemon's session");
  t.is(parseJson<SessionInfo[]>(await inner.ccx(['list', '--json'])).find((s) => s.name === 'inner')?.status, 'running');
});

test('a foreground ccx daemon whose session was cancelled under it still stops', async (t) => {
  const { inner, innerDaemon } = await foregroundDaemonInCancelledSession(t);
  // Its terminal is gone now: the echo of its log lines to stderr fails (EIO) and must not spin it.
  t.is((await inner.ccx(['daemon', 'stop'])).code, 0);
  t.true(await waitFor(() => !isAlive(innerDaemon), 15_000, 'inner daemon to stop'));
});
