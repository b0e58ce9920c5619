// 2. Cold start: `ccx list` in a fresh CCX_HOME where no daemon runs, so the
// time includes spawning the daemon and waiting for its socket. tmux's
// equivalent is the first `new-session` on a new socket (it forks its server).
import { alternate } from '../lib/alternate.mjs';
import { ms, x } from '../lib/format.mjs';
import { CCX_BIN } from '../../packages/testkit/dist/index.js';
import { timeOk } from '../lib/proc.mjs';
import { ratio, summarize } from '../lib/stats.mjs';
import { TmuxServer } from '../lib/tmux.mjs';

export const id = 'cold-start';
export const title = '2. Cold start';
export const description =
  'Wall time of the first command when no daemon/server runs: `ccx list` in a fresh `CCX_HOME` (spawns the daemon, waits for its socket, then lists), next to `tmux new-session -d` on a fresh socket (forks the tmux server). Each run is followed by stopping what it started.';

export async function run(ctx) {
  const tools = {
    'node -e 0': async () => (await timeOk(ctx.pids, process.execPath, ['-e', '0'])).ms,
    'ccx list (starts the daemon)': async () => {
      const home = ctx.newHome();
      try {
        const { ms: took } = await timeOk(ctx.pids, process.execPath, [CCX_BIN, 'list'], { env: home.env });
        ctx.pids.track(home.daemonPid());
        return took;
      } finally {
        await home.cleanup();
      }
    },
    ...(ctx.hasTmux && { 'tmux new-session -d (starts the server)': async () => {
      const server = new TmuxServer(ctx.pids, ctx.tmp);
      try {
        const { ms: took } = await server.run(['new-session', '-d', '-x', '80', '-y', '24', 'sleep 60']);
        server.pid = Number((await server.run(['display-message', '-p', '#{pid}'])).stdout.trim());
        ctx.pids.track(server.pid);
        return took;
      } finally {
        await server.cleanup();
      }
    } }),
  };
  const samples = await alternate(ctx.opts.coldStartReps, tools);
  const stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  const floor = stats['node -e 0'].median;
  return {
    tables: [
      {
        columns: ['command', 'median ms', 'p90 ms', 'min ms', 'ratio to `node -e 0`', 'runs'],
        rows: Object.entries(stats).map(([k, s]) => [`\`${k}\``, ms(s.median), ms(s.p90), ms(s.min), x(ratio(s.median, floor)), s.n]),
      },
    ],
    data: { samples, stats },
  };
}
