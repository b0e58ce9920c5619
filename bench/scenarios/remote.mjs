// 7. Another machine over OpenSSH: `ccx --host H list` next to `ssh H true`
// on the same link (a real sshd on 127.0.0.1, packages/testkit/src/sshd.ts), each run a
// fresh ssh connection; then the same with a ControlMaster connection that
// ssh reuses (ControlPersist), as a user's ssh config may set it up.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { alternate } from '../lib/alternate.mjs';
import { ms, x } from '../lib/format.mjs';
import { CCX_BIN, LocalSshd, sshdAvailable } from '../../packages/testkit/dist/index.js';
import { timeOk } from '../lib/proc.mjs';
import { ratio, summarize } from '../lib/stats.mjs';

export const id = 'remote';
export const title = '7. Another machine over ssh';
export const description =
  'Wall time of `ccx --host ssh://root@127.0.0.1:PORT list` (the CLI runs `ssh … ccx daemon dial-stdio` and speaks its protocol through it) against `ssh … true` with the same key and options, to a real sshd on 127.0.0.1. "fresh" opens a new ssh connection per run; "ControlMaster" reuses one master connection (`-o ControlMaster=auto -o ControlPath=… -o ControlPersist=60`). The far daemon is already running.';

export async function run(ctx) {
  if (!sshdAvailable()) return { missing: 'needs root and /usr/sbin/sshd (apt-get install openssh-server)', targets: [{ target: '`ccx --host H list` ≤ 1.5 × `ssh H true`', measured: 'not measured: no sshd', met: undefined }] };
  const far = ctx.newHome();
  const sshd = await new LocalSshd({ parentDir: ctx.tmp, sessionEnv: { CCX_HOME: far.dir }, track: (pid) => ctx.pids.track(pid) }).start();
  try {
    await far.run(['start', '--name', 'idle', '--', 'sleep', '3600']);
    ctx.pids.track(far.daemonPid());
    const control = join(mkdtempSync(join(ctx.tmp, 'cm-')), 'c');
    const master = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${control}`, '-o', 'ControlPersist=60'];
    const env = (extra) => ({ ...process.env, CCX_HOST: sshd.url, CCX_SSH_COMMAND: `${sshd.sshCommand}${extra ? ` ${extra.join(' ')}` : ''}`, CCX_REMOTE_CCX: CCX_BIN });
    const ssh = (extra = []) => async () => (await timeOk(ctx.pids, 'ssh', [...extra, ...sshd.sshArgs('true')])).ms;
    const ccx = (extra) => async () => (await timeOk(ctx.pids, process.execPath, [CCX_BIN, 'list'], { env: env(extra) })).ms;
    // The master is opened once before the ControlMaster rows are timed.
    await ssh(master)();
    const samples = await alternate(ctx.opts.remoteReps, {
      'ssh H true (fresh)': ssh(),
      'ccx --host H list (fresh)': ccx(),
      'ssh H true (ControlMaster)': ssh(master),
      'ccx --host H list (ControlMaster)': ccx(master),
    });
    await timeOk(ctx.pids, 'ssh', [...master, '-O', 'exit', ...sshd.sshArgs()]).catch(() => {});
    const stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
    const fresh = ratio(stats['ccx --host H list (fresh)'].median, stats['ssh H true (fresh)'].median);
    const reused = ratio(stats['ccx --host H list (ControlMaster)'].median, stats['ssh H true (ControlMaster)'].median);
    return {
      tables: [
        {
          columns: ['command', 'median ms', 'p90 ms', 'min ms', 'runs'],
          rows: Object.entries(stats).map(([k, s]) => [`\`${k}\``, ms(s.median), ms(s.p90), ms(s.min), s.n]),
        },
      ],
      targets: [
        { target: '`ccx --host H list` ≤ 1.5 × `ssh H true` (fresh connections)', measured: `${x(fresh)} (${ms(stats['ccx --host H list (fresh)'].median)} ms vs ${ms(stats['ssh H true (fresh)'].median)} ms)`, met: fresh <= 1.5 },
        {
          target: '`ccx --host H list` ≤ 1.5 × `ssh H true` (ControlMaster)',
          measured: `${x(reused)} (${ms(stats['ccx --host H list (ControlMaster)'].median)} ms vs ${ms(stats['ssh H true (ControlMaster)'].median)} ms)`,
          met: reused <= 1.5,
          limit: reused <= 1.5 ? '' : 'with the connection reused, ssh itself costs little; what remains is two Node.js start-ups (the CLI here, `ccx daemon dial-stdio` there) against none for `true`',
        },
      ],
      data: { samples, stats },
    };
  } finally {
    await sshd.stop();
  }
}
