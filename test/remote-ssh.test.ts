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
import { CCX_BIN, homesFor, isAlive, parseJson, waitFor, startSession, type Home } from './helpers/ccx.js';
import { ptysFor } from './helpers/terminals.js';
import { LocalSshd, freePort, sshdAvailable } from '@ccx/testkit';

// CI (root, openssh-server installed by .ci/run) always runs these; a
// developer's machine without sshd or root skips them, saying why.
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

serial('start, send --wait, wait, screen, logs, list and cancel all work through ssh, on the far daemon only', async (t) => {
  const { h, ccx } = near();
  const started = await ccx(['start', '--name', 'py', '--preset', 'python', '--wait-ready', '--timeout', '60', '--', 'python3', '-q']);
  t.is(started.code, 0, started.stderr);
  const answer = await ccx(['send', 'py', '6*7', '--wait', '--timeout', '60']);
  t.is(answer.code, 0, answer.stderr);
  t.is(answer.stdout.trim(), '42');

  await ccx(['send', 'py', 'print("far-" + "away")']);
  const waited = await ccx(['wait', 'py', '--from', '0', '--until', 'far-away', '--timeout', '60', '--json']);
  t.is(parseJson(waited).reason, 'match', waited.stderr);
  t.regex((await ccx(['screen', 'py'])).stdout, /far-away/);
  t.regex((await ccx(['logs', 'py'])).stdout, /^42$/m);

  const remote = parseJson<SessionInfo[]>(await ccx(['list', '--json'])).find((s) => s.name === 'py')!;
  // The session lives in the far daemon, in the far user's home, not in this machine's daemon.
  t.truthy(parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((s) => s.id === remote.id));
  t.deepEqual(parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])), []);
  t.is(remote.cwd, process.env.HOME!);

  const hooks = await ccx(['hooks', 'list', '--json']);
  t.is(hooks.code, 0, hooks.stderr);
  t.deepEqual(parseJson(hooks), []);

  const cancelled = await ccx(['cancel', 'py', '--grace', '1']);
  t.is(cancelled.code, 0, cancelled.stderr);
  const after = parseJson<SessionInfo[]>(await far.ccx(['list', '--all', '--json'])).find((s) => s.name === 'py')!;
  t.is(after.status, 'cancelled');
});

serial('logs -f and events -f stream through ssh as the far session runs', async (t) => {
  const { h, ccx } = near();
  const events = h.spawnCcx(['events', '--type', 'process-exit', '-f', '--json'], { env: remoteEnv() });
  let seen = '';
  events.stdout!.on('data', (c: Buffer) => (seen += c.toString('utf8')));
  // Subscribed once the far daemon counts it: then the exit below cannot be missed.
  await waitFor(async () => (parseJson(await far.ccx(['daemon', 'status', '--json'])).events.subscribers as number) >= 1, 60_000, 'the events follower to subscribe');
  const id = (await startSession(far, ['--name', 'ticker', '--', 'bash', '-c', 'for i in 1 2 3; do echo tick-$i; sleep 0.3; done; exit 3'])).id;
  const logs = await ccx(['logs', '-f', id]);
  t.is(logs.code, 3, logs.stderr);
  t.is(logs.stdout, 'tick-1\ntick-2\ntick-3\n');
  const exit = await waitFor(() => seen.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.sessionId === id), 30_000, 'the process-exit event');
  t.is(exit.code, 3);
  events.kill('SIGTERM');
});

serial('attach through ssh types into the far session; a killed ssh ends attach with exit 4 and the session goes on', async (t) => {
  const { h } = near();
  const target = (await startSession(far, ['--name', 'sh', '--cols', '80', '--rows', '24', '--env', 'PS1=$ ', '--', 'bash', '--norc', '--noprofile'])).id;
  const env = Object.entries(remoteEnv()).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const viewer = (await startSession(h, ['--name', 'viewer', '--cols', '80', '--rows', '24', ...env, '--', process.execPath, CCX_BIN, 'attach', target])).id;
  await waitFor(async () => parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((s) => s.id === target)?.attachedClients === 1, 60_000, 'the attach client to reach the far daemon');

  await h.ccx(['send', viewer, 'echo typed-from-$((40+2))']);
  await waitFor(async () => /typed-from-42/.test((await far.ccx(['screen', target])).stdout), 30_000, 'the keystrokes to reach the far program');
  await waitFor(async () => /typed-from-42/.test((await h.ccx(['screen', viewer])).stdout), 30_000, 'the far output to reach the attached terminal');

  const viewerPid = parseJson<SessionInfo[]>(await h.ccx(['list', '--json'])).find((s) => s.id === viewer)!.pid as number;
  const ssh = childrenOf(viewerPid).filter((pid) => commOf(pid) === 'ssh');
  t.is(ssh.length, 1, 'attach runs one ssh');
  process.kill(ssh[0]!, 'SIGKILL');

  const ended = await waitFor(async () => {
    const s = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])).find((x) => x.id === viewer)!;
    return s.status === 'running' ? undefined : s;
  }, 30_000, 'attach to exit after its ssh was killed');
  t.is(ended.exitCode, 4);
  const farSession = parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((s) => s.id === target)!;
  t.is(farSession.status, 'running');
  t.true(isAlive(farSession.pid!));
  await waitFor(async () => parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((s) => s.id === target)?.attachedClients === 0, 30_000, 'the far daemon to drop the client');
});

serial('attach through ssh resizes the far session with the terminal, and the detach key leaves it running', async (t) => {
  const h = newHome();
  const target = (await startSession(far, ['--name', 'resized', '--cols', '80', '--rows', '24', '--', 'bash', '--norc', '--noprofile'])).id;
  const client = pty.spawn(process.execPath, [CCX_BIN, 'attach', target], { cols: 100, rows: 30, env: { ...h.env, ...remoteEnv() } as Record<string, string>, name: 'xterm-256color' });
  ptys.push(client);
  const exit = new Promise<number>((resolve) => client.onExit(({ exitCode }) => resolve(exitCode)));
  const size = async () => {
    const s = parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((x) => x.id === target)!;
    return `${s.cols}x${s.rows}:${s.attachedClients}`;
  };
  await waitFor(async () => (await size()) === '100x30:1', 60_000, 'the attached terminal\'s size to reach the far session');
  client.resize(90, 20);
  await waitFor(async () => (await size()) === '90x20:1', 30_000, 'a resize to reach the far session');
  client.write('\x1c');
  t.is(await exit, 0);
  await waitFor(async () => (await size()) === '90x20:0', 30_000, 'the far daemon to see the detach');
  t.is(parseJson<SessionInfo[]>(await far.ccx(['list', '--json'])).find((x) => x.id === target)!.status, 'running');
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

serial('named hosts: --host NAME from the config file, and list --all-hosts with a HOST column and a row for a host that does not answer', async (t) => {
  const h = newHome();
  const deadPort = await freePort();
  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify({ hosts: { farbox: { url: sshd.url, ccx: CCX_BIN }, gone: `ssh://root@127.0.0.1:${deadPort}` } }));
  const env = { CCX_SSH_COMMAND: sshd.sshCommand };
  const started = await h.ccx(['--host', 'farbox', 'start', '--name', 'named', '--', 'sleep', '600'], { env });
  t.is(started.code, 0, started.stderr);
  await h.ccx(['start', '--name', 'here', '--', 'sleep', '600'], { env });

  const rows = parseJson(await h.ccx(['list', '--all-hosts', '--json'], { env }));
  const names = rows.filter((r: any) => !r.error).map((r: any) => `${r.host}:${r.name}`);
  t.true(names.includes('farbox:named') && names.includes('local:here'), names.join(' '));
  t.false(names.includes('local:named') || names.includes('farbox:here'), names.join(' '));
  const gone = rows.find((r: any) => r.host === 'gone');
  t.is(gone.error.code, 'E_DAEMON_UNAVAILABLE');

  const table = await h.ccx(['list', '--all-hosts'], { env });
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /^HOST\s+ID\s+NAME/m);
  t.regex(table.stdout, /^farbox\s+\w{8}\s+named\s+running/m);
  t.regex(table.stdout, /^gone\s+-\s+-\s+unreachable/m);

  const unknown = await h.ccx(['--host', 'nosuch', 'list'], { env });
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown host "nosuch" \(named hosts: farbox, gone\)/);
});

serial('daemon stop through --host is refused: it acts on this machine\'s daemon', async (t) => {
  const { ccx } = near();
  const r = await ccx(['daemon', 'stop']);
  t.is(r.code, 2);
  t.regex(r.stderr, /acts on this machine's daemon/);
});
