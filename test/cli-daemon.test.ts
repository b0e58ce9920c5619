import test from 'ava';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ccxOk, homesFor, isAlive, parseJson, waitFor, type Home } from './helpers/ccx.js';

const home = homesFor(test);

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

test('a removed socket file is re-created by the running daemon within seconds; its sessions stay reachable', async (t) => {
  const h = home();
  const id = await ccxOk(h, ['start', '--name', 'keep', '--', 'sleep', '600']);
  const pid = h.daemonPid()!;
  const socket = join(h.dir, 'run', 'ccxd.sock');
  rmSync(socket);
  await waitFor(() => existsSync(socket), 20_000, 'the socket to be re-created');
  const list = parseJson<Array<{ id: string; status: string }>>(await h.ccx(['list', '--json']));
  t.deepEqual(list.map((s) => [s.id, s.status]), [[id, 'running']]);
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
  await waitFor(() => existsSync(socket), 20_000, 'the socket to be re-created');
  const log = await waitFor(() => {
    const text = readFileSync(join(h.dir, 'state', 'daemon.log'), 'utf8');
    return /"msg":"socket re-created".*"reason":"SIGUSR1"/.test(text) ? text : undefined;
  }, 20_000, 'the log line of the re-creation');
  t.truthy(log);
  t.true(isAlive(pid));
  t.is((await h.ccx(['list'])).code, 0);
});

test('removing CCX_HOME makes its daemon end its sessions and exit; the next command starts one fresh daemon', async (t) => {
  const h = home();
  await ccxOk(h, ['start', '--name', 'orphan', '--', 'sleep', '600']);
  const [info] = parseJson<Array<{ pid: number }>>(await h.ccx(['list', '--json']));
  if (!info) return t.fail('no session listed');
  const daemon = h.daemonPid()!;
  h.track(daemon);
  h.track(info.pid);
  t.true(isAlive(info.pid));
  rmSync(h.dir, { recursive: true, force: true, maxRetries: 5 });
  await waitFor(() => !isAlive(daemon), 30_000, 'the daemon to exit');
  await waitFor(() => !isAlive(info.pid), 10_000, "the session's program to end");
  t.false(existsSync(h.dir), 'the dying daemon did not re-create the home');
  const list = await h.ccx(['list', '--json', '--all']);
  t.is(list.code, 0, list.stderr);
  t.deepEqual(JSON.parse(list.stdout), []);
  t.deepEqual(daemonsOf(h), [h.daemonPid()!], 'exactly one daemon serves the new home');
});
