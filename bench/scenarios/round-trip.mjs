// 1. Command round trip: a short command against a running server, from
// spawn to exit, next to the floor for any Node CLI (`node -e 0`) and tmux.
import { alternate } from '../lib/alternate.mjs';
import { ms, x } from '../lib/format.mjs';
import { join } from 'node:path';
import { CCX_BIN, ROOT } from '../../packages/testkit/dist/index.js';
import { importDist } from '../lib/paths.mjs';
import { timeOk } from '../lib/proc.mjs';
import { ratio, summarize } from '../lib/stats.mjs';

const { CCX_VERSION, PROTOCOL_VERSION } = await importDist('shared', 'index.js');
const BARE_LIST = join(ROOT, 'bench', 'lib', 'bare-list.mjs');

export const id = 'round-trip';
export const title = '1. Command round trip';
export const description =
  'Wall time from spawn to exit of one command against a running daemon/server holding one idle session. The bare `node:net` script sends the same `session.list` request with hand-made frames and nothing else: the floor for a Node CLI doing this round trip, so the gap between it and `ccx list` is ccx\'s own start-up. `ccx --version` takes the full yargs parser path (help and version are not on the fast path).';

export async function run(ctx) {
  const home = ctx.newHome();
  await home.ensureDaemon();
  const conn = await home.connect();
  await home.startSession(conn, ['sleep', '86400']);
  const tmux = ctx.hasTmux ? await ctx.newTmux() : undefined;
  const node = (args) => async () => (await timeOk(ctx.pids, process.execPath, args, { env: home.env })).ms;
  const tools = {
    'node -e 0': node(['-e', '0']),
    'ccx list': node([CCX_BIN, 'list']),
    'ccx daemon status': node([CCX_BIN, 'daemon', 'status']),
    'ccx --version': node([CCX_BIN, '--version']),
    'bare node:net session.list script': node([BARE_LIST, home.paths.socketPath, CCX_VERSION, String(PROTOCOL_VERSION)]),
    ...(tmux && { 'tmux list-sessions': async () => (await tmux.run(['list-sessions'])).ms }),
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
        limit: listRatio <= 1.5 ? '' : `CLI start-up: the bare node:net script does the same round trip in ${x(ratio(stats['bare node:net session.list script'].median, floor))}; the rest is loading and parsing the CLI bundle (~60 KB) and its argument handling`,
      },
    ],
    data: { samples, stats },
  };
}
