/** The pure parts of `--host`: URLs, named hosts, and the ssh command line. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRemoteSpec, parseSshUrl, resolveHost } from '../packages/cli/src/remote/host-spec.js';
import { splitCommandLine, sshInvocation } from '../packages/cli/src/remote/ssh-command.js';
import { takeHostOption } from '../packages/cli/src/main-argv.js';

test('ssh URLs: user, host and port; IPv6 in brackets', (t) => {
  t.deepEqual(parseSshUrl('ssh://me@build:2222'), { user: 'me', hostname: 'build', port: 2222 });
  t.deepEqual(parseSshUrl('ssh://build'), { hostname: 'build' });
  t.deepEqual(parseSshUrl('ssh://[::1]:22'), { hostname: '::1', port: 22 });
});

test('a URL whose host could be read as an ssh option is refused', (t) => {
  t.throws(() => parseSshUrl('ssh://-oProxyCommand=touch'), { message: /not a host URL/ });
  t.throws(() => parseSshUrl('me@build'), { message: /not a host URL/ });
  t.throws(() => parseSshUrl('ssh://build:70000'), { message: /port out of range/ });
});

test('local and empty mean this machine', (t) => {
  t.false(isRemoteSpec(undefined));
  t.false(isRemoteSpec(''));
  t.false(isRemoteSpec('local'));
  t.true(isRemoteSpec('build'));
});

test('named hosts come from the config file, with an optional far ccx path; CCX_REMOTE_CCX overrides it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ccxh-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ hosts: { build: 'ssh://me@build:2222', vm: { url: 'ssh://vm', ccx: '/opt/ccx/bin/ccx' } } }));
  t.like(resolveHost('build', file, {}), { label: 'build', user: 'me', hostname: 'build', port: 2222, ccxPath: 'ccx' });
  t.like(resolveHost('vm', file, {}), { hostname: 'vm', ccxPath: '/opt/ccx/bin/ccx' });
  t.like(resolveHost('vm', file, { CCX_REMOTE_CCX: '/x/ccx' }), { ccxPath: '/x/ccx' });
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

test('--host is taken out of argv anywhere before --, and becomes CCX_HOST', (t) => {
  const env: NodeJS.ProcessEnv = {};
  t.deepEqual(takeHostOption(['--host', 'build', 'list', '--json'], env), ['list', '--json']);
  t.is(env.CCX_HOST, 'build');
  t.deepEqual(takeHostOption(['start', '--host=ssh://vm', '--', 'ssh', '--host', 'x'], env), ['start', '--', 'ssh', '--host', 'x']);
  t.is(env.CCX_HOST, 'ssh://vm');
});
