/** The pure parts of `--host`: URLs, named hosts, and the ssh command line. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRemoteSpec, parseSshUrl, resolveHost } from '../packages/cli/src/remote/host-spec.js';
import { splitCommandLine, sshInvocation } from '../packages/cli/src/remote/ssh-command.js';
import { takeHostOption } from '../packages/cli/src/main-argv.js';

test('an ssh URL gives user, host, port, of which only the host is needed', (t) => {
  t.deepEqual(parseSshUrl('ssh://me@build:2222'), { user: 'me', hostname: 'build', port: 2222 });
  t.deepEqual(parseSshUrl('ssh://build'), { hostname: 'build' });
});

test('an IPv6 host in an ssh URL is written in brackets', (t) => {
  t.deepEqual(parseSshUrl('ssh://[::1]:22'), { hostname: '::1', port: 22 });
});

test('a URL whose host could be read as an ssh option is refused', (t) => {
  t.throws(() => parseSshUrl('ssh://-oProxyCommand=touch'), { message: /not a host URL/ });
  t.throws(() => parseSshUrl('me@build'), { message: /not a host URL/ });
  t.throws(() => parseSshUrl('ssh://build:70000'), { message: /port out of range/ });
});

test('no host, an empty one or `local` means this machine', (t) => {
  t.false(isRemoteSpec(undefined));
  t.false(isRemoteSpec(''));
  t.false(isRemoteSpec('local'));
});

test('any other host name is remote', (t) => {
  t.true(isRemoteSpec('build'));
});

/** A config file naming two hosts: `build` by URL, `vm` with its far ccx path. */
function hostsConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccxh-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ hosts: { build: 'ssh://me@build:2222', vm: { url: 'ssh://vm', ccx: '/opt/ccx/bin/ccx' } } }));
  return file;
}

test('a named host comes from the config file', (t) => {
  t.like(resolveHost('build', hostsConfig(), {}), { label: 'build', user: 'me', hostname: 'build', port: 2222, ccxPath: 'ccx' });
});

test('a named host may give the far ccx path', (t) => {
  t.like(resolveHost('vm', hostsConfig(), {}), { hostname: 'vm', ccxPath: '/opt/ccx/bin/ccx' });
});

test('CCX_REMOTE_CCX overrides the far ccx path of a named host', (t) => {
  t.like(resolveHost('vm', hostsConfig(), { CCX_REMOTE_CCX: '/x/ccx' }), { ccxPath: '/x/ccx' });
});

test('an unknown host name is an error that lists the named hosts', (t) => {
  const file = hostsConfig();
  t.throws(() => resolveHost('nope', file, {}), { message: /unknown host "nope" \(named hosts: build, vm\)/ });
});

test('CCX_SSH_COMMAND is split like a shell word list, without running a shell', (t) => {
  t.deepEqual(splitCommandLine(`ssh -i "/a b/key" -o 'ProxyJump=x y' plain\\ word`), ['ssh', '-i', '/a b/key', '-o', 'ProxyJump=x y', 'plain word']);
  t.deepEqual(splitCommandLine('ssh $(touch /tmp/x)'), ['ssh', '$(touch', '/tmp/x)']);
  t.throws(() => splitCommandLine('ssh "open'), { message: /unclosed/ });
});

test('the ssh argv: BatchMode without a terminal, -T, the port, -- before the destination, the quoted far ccx', (t) => {
  const target = { label: 'b', user: 'me', hostname: 'build', port: 2222, ccxPath: "/opt/my ccx/ccx" };
  t.deepEqual(sshInvocation(target, { CCX_SSH_COMMAND: 'ssh -F none' }, false), {
    file: 'ssh',
    args: ['-F', 'none', '-o', 'BatchMode=yes', '-T', '-p', '2222', '--', 'me@build', "'/opt/my ccx/ccx' daemon dial-stdio"],
  });
  t.false(sshInvocation(target, {}, true).args.includes('BatchMode=yes'));
});

test('--host is taken out of argv anywhere before --', (t) => {
  const env: NodeJS.ProcessEnv = {};
  t.deepEqual(takeHostOption(['--host', 'build', 'list', '--json'], env), ['list', '--json']);
  t.deepEqual(takeHostOption(['start', '--host=ssh://vm', '--', 'ssh', '--host', 'x'], env), ['start', '--', 'ssh', '--host', 'x']);
});

test('the --host taken out of argv becomes CCX_HOST', (t) => {
  const env: NodeJS.ProcessEnv = {};
  takeHostOption(['--host', 'build', 'list', '--json'], env);
  t.is(env.CCX_HOST, 'build');
  takeHostOption(['start', '--host=ssh://vm', '--', 'ssh', '--host', 'x'], env);
  t.is(env.CCX_HOST, 'ssh://vm');
});
