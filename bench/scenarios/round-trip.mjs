// 1. Command round trip: a short command against a running server, from
// spawn to exit, next to the floor for any Node CLI (`node -e 0`) and tmux.
import { alternate } from '../lib/alternate.mjs';
import { ms, x } from '../lib/format.mjs';
import { CCX_BIN } from '../lib/paths.mjs';
import { timeOk } from '../lib/proc.mjs';
import { ratio, summarize } from '../lib/stats.mjs';

export const id = 'round-trip';
export const title = '1. Command round trip';
export const description =
  'Wall time from spawn to exit of one command against a running daemon/server holding one idle session. `ccx --version` loads the CLI and exits without touching the socket: the difference to `ccx list` is the connection and the request.';

export async function run(ctx) {
  const home = ctx.newHome();
  await home.ensureDaemon();
  const conn = await home.connect();
  await home.startSession(conn, ['sleep', '86400']);
  const tmux = await ctx.newTmux();
  const node = (args) => async () => (await timeOk(ctx.pids, process.execPath, args, { env: home.env })).ms;
  const tools = {
    'node -e 0': node(['-e', '0']),
    'ccx list': node([CCX_BIN, 'list']),
    'ccx daemon status': node([CCX_BIN, 'daemon', 'status']),
    'ccx --version': node([CCX_BIN, '--version']),
    'tmux list-sessions': async () => (await tmux.run(['list-sessions'])).ms,
  };
  const samples = await alternate(ctx.opts.roundTripReps, tools);
  const stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  const floor = stats['node -e 0'].median;
  const listRatio = ratio(stats['ccx list'].median, floor);
  return {
    tables: [
      {
        columns: ['command', 'median ms', 'p90 ms', 'min ms', 'ratio to `node -e 0`', 'runs'],
        rows: Object.entries(stats).map(([k, s]) => [`\`${k}\``, ms(s.median), ms(s.p90), ms(s.min), x(ratio(s.median, floor)), s.n]),
      },
    ],
    targets: [
      {
        target: '`ccx list` ≤ 1.5 × `node -e 0` (stretch 1.2 ×)',
        measured: `${x(listRatio)} (${ms(stats['ccx list'].median)} ms vs ${ms(floor)} ms)`,
        met: listRatio <= 1.5,
        limit: listRatio <= 1.5 ? '' : 'CLI start-up: modules loaded before the command runs (see the start-up profile)',
      },
    ],
    data: { samples, stats },
  };
}
