/**
 * `--host ssh://…` against a real OpenSSH server on 127.0.0.1 (a random
 * port, a generated host key and client key; packages/testkit/src/sshd.ts). The "far
 * machine" is this one with another CCX_HOME, set for ssh logins by the
 * server's SetEnv, so its daemon is a different daemon reached only through
 * ssh and `ccx daemon dial-stdio`. Needs root (sshd's privilege separation)
 * and openssh-server, which .ci/run installs.
 */
import test from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import pty from 'node-pty';
import { join } from 'node:path';
import { CCX_BIN, homesFor, isAlive, parseJson, waitFor, startSession, type Home, once } from './helpers/ccx.js';
import { ptysFor } from './helpers/terminals.js';
import { LocalSshd, freePort, sshdAvailable } from '@ccx/testkit';

// CI (root, openssh-server installed by .ci/run) always runs these; a
// developer's machine without sshd or root skips them, saying why.
/** A row of `list --all-hosts --json`: a session with its host, or a host that did not answer. */
type HostListRow = (SessionInfo & { host: string }) | { host: string; id?: undefined; error: { code: string; message: string } };

const serial = sshdAvailable() || process.env.CI ? test.serial : test.serial.skip;
if (!sshdAvailable() && !process.env.CI) console.error('# remote-ssh: skipped: needs root and /usr/sbin/sshd (apt-get install openssh-server, as .ci/run does)');

const newHome = homesFor(test);
let sshd: LocalSshd;
let far: Home;

test.before(async () => {
  if (!sshdAvailable() && !process.env.CI) return;
  far = newHome();
  sshd = await new LocalSshd({ parentDir: far.dir, sessionEnv: { CCX_HOME: far.dir, NO_COLOR: '1' }, track: (pid: number) => far.track(pid) }).start();
});
const ptys = ptysFor(test);
test.after.always(async () => {
  await sshd?.stop();
});

/** This machine's CLI, aimed at the far daemon. */
function remoteEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { CCX_HOST: sshd.url, CCX_SSH_COMMAND: sshd.sshCommand, CCX_REMOTE_CCX: CCX_BIN, ...extra };
}

function near(): { h: Home; ccx: (args: string[], extra?: NodeJS.ProcessEnv) => ReturnType<Home['ccx']> } {
  const h = newHome();
  return { h, ccx: (args, extra = {}) => h.ccx(args, { env: remoteEnv(extra) }) };
}

/** Pids whose parent is `pid` (to find the ssh an attach client runs). */
function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(entry));
    } catch {}
  }
  return kids;
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** One python session driven through ssh from start to cancel; each test below asserts one claim on what it saw. */
const pythonThroughSsh = once(async () => {
  const { h, ccx } = near();
  const started = await ccx(['start', '--name', 'py', '--preset', 'python', '--wait-ready', '--timeout', '60', '--', 'python3', '-q']);
  const answer = await ccx(['send', 'py', '6*7', '--wait', '--timeout', '60']);
  await ccx(['send', 'py', 'print("far-" + "away")']);
  const waited = await ccx(['wait', 'py', '--from', '0', '--until', 'far-away', '--timeout', '60', '--json']);
  const screen = await ccx(['screen', 'py']);
  const logs = await ccx(['logs', 'py']);
  const remote = parseJson<SessionInfo[]>(await ccx(['list', '--json'])).find((s) => s.name === 'py')!;
  const farList = parseJson<SessionInfo[]>(await far.ccx(['list', '--json']));
  const nearList = parseJson<SessionInfo[]>(await h.ccx(['list', '--json']));
  const hooks = await ccx(['hooks', 'list', '--json']);
  const cancelled = await ccx(['cancel', 'py', '--grace', '1']);
  const after = parseJson<SessionInfo[]>(await far.ccx(['list', '--all', '--json'])).find((s) => s.name === 'py')!;
  return { started, answer, waited, screen, logs, remote, farList, nearList, hooks, cancelled, after };
});

serial('send --wait through ssh prints the far python\'s answer', async (t) => {
  const { started, answer } = await pythonThroughSsh();
  t.is(started.code, 0, started.stderr);
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout.trim(), '42');
});

serial('wait --until through ssh matches the far output', async (t) => {
  const { waited } = await pythonThroughSsh();
  t.is(parseJson(waited).reason, 'match', waited.stderr);
});

serial('screen through ssh shows the far screen', async (t) => {
  t.regex((await pythonThroughSsh()).screen.stdout, /far-away/);
});

serial('logs through ssh prints the far output log', async (t) => {
  t.regex((await pythonThroughSsh()).logs.stdout, /^42$/m);
});

serial('a session started through ssh lives in the far daemon only, in the far user\'s home', async (t) => {
  const { remote, farList, nearList } = await pythonThroughSsh();
  t.truthy(farList.find((s) => s.id === remote.id));
  t.deepEqual(nearList, []);
  t.is(remote.cwd, process.env.HOME!);
});

serial('hooks list through ssh lists the far daemon\'s webhooks (none)', async (t) => {
  const { hooks } = await pythonThroughSsh();
  t.is(hooks.code, 0, hooks.stderr);
  t.deepEqual(parseJson(hooks), []);
});

serial('cancel through ssh cancels the far session', async (t) => {
  const { cancelled, after } = await pythonThroughSsh();
  t.is(cancelled.code, 0, cancelled.stderr);
  t.is(after.status, 'cancelled');
});

/** A far session that ticks three times and exits 3, followed through ssh by logs -f and events -f. */
const followedThroughSsh = once(async () => {
  const { h, ccx } = near();
  await far.ccx(['list']); // the far daemon up (started on first use), so that its status counts subscribers
  const events = h.spawnCcx(['events', '--type', 'process-exit', '-f', '--json'], { env: remoteEnv() });
  let seen = '';
  events.stdout!.on('data', (c: Buffer) => (seen += c.toString('utf8')));
  // Subscribed once the far daemon counts it: then the exit below cannot be missed.
  await waitFor(async () => (parseJson(await far.ccx(['daemon', 'status', '--json'])).events.subscribers as number) >= 1, 60_000, 'the events follower to subscribe');
  const id = (await startSession(far, ['--name', 'ticker', '--', 'bash', '-c', 'for i in 1 2 3; do echo tick-$i; sleep 0.3; done; exit 3'])).id;
  const logs = await ccx(['logs', '-f', id]);
  const exit = await waitFor(() => seen.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.sessionId === id), 30_000, 'the process-exit event').finally(() => events.kill('SIGTERM'));
  return { logs, exit };
});

serial('logs -f through ssh prints the far session\'s output to its end', async (t) => {
  t.is((await followedThroughSsh()).logs.stdout, 'tick-1\ntick-2\ntick-3\n');
});

serial('logs -f through ssh exits with the far program\'s code', async (t) => {
  const { logs } = await followedThroughSsh();
  t.is(logs.code, 3, logs.stderr);
});

serial('events -f through ssh delivers the far session\'s process-exit', async (t) => {
  t.is((await followedThroughSsh()).exit.code, 3);
});

/** `ccx attach` through ssh, run in a session of this machine's daemon (a PTY), typed into, then its ssh killed. */
const attachedThroughSsh = once(async () => {
  const { h } = near();
  const target = (await startSession(far, ['--name', 'sh', '--cols', '80', '--rows', '24', '--env', 'PS1=$ ', '--', 'bash', '--norc', '--noprofile'])).id;
  const env = Object.entries(remoteEnv()).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const viewer = (await startSession(h, ['--name', 'viewer', '--cols', '80', '--rows', '24', ...env, '--', process.execPath, CCX_BIN, 'attach', target])).id;
  await waitFor(async () => parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((s) => s.id === target)?.attachedClients === 1, 60_000, 'the attach client to reach the far daemon');

  await h.ccx(['send', viewer, 'echo typed-from-$((40+2))']);
  const reachedFar = waitFor(async () => /typed-from-42/.test((await far.ccx(['screen', target])).stdout), 30_000, 'the keystrokes to reach the far program');
  await reachedFar.catch(() => {});
  const reachedTerminal = waitFor(async () => /typed-from-42/.test((await h.ccx(['screen', viewer])).stdout), 30_000, 'the far output to reach the attached terminal');
  await reachedTerminal.catch(() => {});

  const viewerPid = parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).find((s) => s.id === viewer)!.pid as number;
  const ssh = childrenOf(viewerPid).filter((pid) => commOf(pid) === 'ssh');
  if (ssh.length === 1) process.kill(ssh[0]!, 'SIGKILL');

  const ended = await waitFor(async () => {
    const s = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((x) => x.id === viewer)!;
    return s.status === 'running' ? undefined : s;
  }, 30_000, 'attach to exit after its ssh was killed');
  const farSession = parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((s) => s.id === target)!;
  const farAlive = isAlive(farSession.pid!);
  const dropped = waitFor(async () => parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((s) => s.id === target)?.attachedClients === 0, 30_000, 'the far daemon to drop the client');
  await dropped.catch(() => {});
  return { reachedFar, reachedTerminal, ssh, ended, farSession, farAlive, dropped };
});

serial('keys typed into an attach through ssh reach the far program', async (t) => {
  await t.notThrowsAsync((await attachedThroughSsh()).reachedFar);
});

serial('the far program\'s output reaches the terminal attached through ssh', async (t) => {
  await t.notThrowsAsync((await attachedThroughSsh()).reachedTerminal);
});

serial('attach through ssh runs one ssh', async (t) => {
  t.is((await attachedThroughSsh()).ssh.length, 1, 'attach runs one ssh');
});

serial('a killed ssh ends the attach through it with exit 4', async (t) => {
  t.is((await attachedThroughSsh()).ended.exitCode, 4);
});

serial('the far session keeps running when the ssh of its attach is killed', async (t) => {
  const { farSession, farAlive } = await attachedThroughSsh();
  t.is(farSession.status, 'running');
  t.true(farAlive);
});

serial('the far daemon drops the client whose ssh was killed', async (t) => {
  await t.notThrowsAsync((await attachedThroughSsh()).dropped);
});

/** A real terminal (PTY) attached through ssh at 100×30, resized to 90×20, then detached with the detach key. */
const resizedThroughSsh = once(async () => {
  const h = newHome();
  const target = (await startSession(far, ['--name', 'resized', '--cols', '80', '--rows', '24', '--', 'bash', '--norc', '--noprofile'])).id;
  const client = pty.spawn(process.execPath, [CCX_BIN, 'attach', target], { cols: 100, rows: 30, env: { ...h.env, ...remoteEnv() } as Record<string, string>, name: 'xterm-256color' });
  ptys.push(client);
  const exit = new Promise<number>((resolve) => client.onExit(({ exitCode }) => resolve(exitCode)));
  const size = async () => {
    const s = parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((x) => x.id === target)!;
    return `${s.cols}x${s.rows}:${s.attachedClients}`;
  };
  const attachedSize = waitFor(async () => (await size()) === '100x30:1', 60_000, 'the attached terminal\'s size to reach the far session');
  await attachedSize.catch(() => {});
  client.resize(90, 20);
  const resized = waitFor(async () => (await size()) === '90x20:1', 30_000, 'a resize to reach the far session');
  await resized.catch(() => {});
  client.write('\x1c');
  const exitCode = await exit;
  const detachSeen = waitFor(async () => (await size()) === '90x20:0', 30_000, 'the far daemon to see the detach');
  await detachSeen.catch(() => {});
  const status = parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((x) => x.id === target)!.status;
  return { attachedSize, resized, exitCode, detachSeen, status };
});

serial('an attach through ssh gives the far session its terminal\'s size', async (t) => {
  await t.notThrowsAsync((await resizedThroughSsh()).attachedSize);
});

serial('resizing the terminal of an attach through ssh resizes the far session', async (t) => {
  await t.notThrowsAsync((await resizedThroughSsh()).resized);
});

serial('the detach key ends an attach through ssh with exit 0', async (t) => {
  t.is((await resizedThroughSsh()).exitCode, 0);
});

serial('the far daemon sees an attach through ssh detach', async (t) => {
  await t.notThrowsAsync((await resizedThroughSsh()).detachSeen);
});

serial('the far session keeps running after an attach through ssh detaches', async (t) => {
  t.is((await resizedThroughSsh()).status, 'running');
});

serial('an unreachable port is exit 4 with ssh\'s own message', async (t) => {
  const { ccx } = near();
  const port = await freePort();
  const r = await ccx(['list'], { CCX_HOST: `ssh://root@127.0.0.1:${port}` });
  t.is(r.code, 4);
  t.regex(r.stderr, /ssh could not connect to .*Connection refused/);
  t.regex(r.stderr, /hint: try it by hand: ssh -p \d+ root@127\.0\.0\.1 true/);
});

serial('a far side without ccx is exit 4 saying how to install it or give its path', async (t) => {
  const { ccx } = near();
  const r = await ccx(['list'], { CCX_REMOTE_CCX: '' });
  t.is(r.code, 4);
  t.regex(r.stderr, /no ccx on .*could not run "ccx"/);
  t.regex(r.stderr, /hint: install ccx there .*CCX_REMOTE_CCX=/);
});

serial('a far side of another version is E_VERSION naming both versions', async (t) => {
  const { ccx } = near();
  const r = await ccx(['list', '--json'], { CCX_VERSION_OVERRIDE: '9.9.9-near' });
  t.not(r.code, 0);
  const error = JSON.parse(r.stderr.trim().split('\n').pop()!).error;
  t.is(error.code, 'E_VERSION');
  t.regex(error.message, /9\.9\.9-near/);
  t.regex(error.message, /daemon \d+\.\d+\.\d+/);
});

/** A config file naming a reachable host (farbox) and one that does not answer (gone); a session on each side. */
const namedHosts = once(async () => {
  const h = newHome();
  const deadPort = await freePort();
  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify({ hosts: { farbox: { url: sshd.url, ccx: CCX_BIN }, gone: `ssh://root@127.0.0.1:${deadPort}` } }));
  const env = { CCX_SSH_COMMAND: sshd.sshCommand };
  const started = await h.ccx(['--host', 'farbox', 'start', '--name', 'named', '--', 'sleep', '600'], { env });
  await h.ccx(['start', '--name', 'here', '--', 'sleep', '600'], { env });
  const rows = parseJson<HostListRow[]>(await h.ccx(['list', '--all-hosts', '--json'], { env }));
  const names = rows.flatMap((r) => (r.id === undefined ? [] : [`${r.host}:${r.name}`]));
  const table = await h.ccx(['list', '--all-hosts'], { env });
  const unknown = await h.ccx(['--host', 'nosuch', 'list'], { env });
  return { started, rows, names, table, unknown };
});

serial('--host NAME starts a session on the host the config file names', async (t) => {
  const { started } = await namedHosts();
  t.is(started.code, 0, started.stderr);
});

serial('list --all-hosts --json lists each session once, with its host', async (t) => {
  const { names } = await namedHosts();
  t.true(names.includes('farbox:named') && names.includes('local:here'), names.join(' '));
  t.false(names.includes('local:named') || names.includes('farbox:here'), names.join(' '));
});

serial('list --all-hosts --json has an error row for a host that does not answer', async (t) => {
  const gone = (await namedHosts()).rows.find((r) => r.host === 'gone');
  t.is(gone && gone.id === undefined ? gone.error.code : undefined, 'E_DAEMON_UNAVAILABLE');
});

serial('list --all-hosts prints a HOST column, a host that does not answer as unreachable', async (t) => {
  const { table } = await namedHosts();
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /^HOST\s+ID\s+NAME/m);
  t.regex(table.stdout, /^farbox\s+\w{8}\s+named\s+running/m);
  t.regex(table.stdout, /^gone\s+-\s+-\s+unreachable/m);
});

serial('--host with a name the config file lacks is a usage error listing the named hosts', async (t) => {
  const { unknown } = await namedHosts();
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown host "nosuch" \(named hosts: farbox, gone\)/);
});

serial('daemon stop through --host is refused: it acts on this machine\'s daemon', async (t) => {
  const { ccx } = near();
  const r = await ccx(['daemon', 'stop']);
  t.is(r.code, 2);
  t.regex(r.stderr, /acts on this machine's daemon/);
});
