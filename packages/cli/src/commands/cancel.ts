import type { CommandModule } from 'yargs';
import type { CancelResult, SessionInfo } from '@ccx/shared';
import { CcxError } from '@ccx/shared';
import { runCommand, type CliContext } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, printLine, usageError } from '../output.js';

interface CancelArgs {
  id: string;
  grace?: number;
  force?: boolean;
  json?: boolean;
}

/** ` (code 5)`, ` (SIGKILL)` or nothing. */
function endDetail(s: SessionInfo): string {
  if (s.signal) return ` (${s.signal})`;
  if (s.exitCode !== null) return ` (code ${s.exitCode})`;
  return '';
}

async function cancel(ctx: CliContext, target: string, params: { graceMs?: number; force?: boolean }): Promise<number> {
  const conn = await ctx.connect();
  const result = await conn.request('session.cancel', { target, ...params });
  if (ctx.json) printJson(result);
  else if (result.endedLeftovers) printLine(`${result.session.id} had ${result.session.status}; ended ${result.endedLeftovers.length} process(es) it left running, after ${result.steps.join(' → ')}${result.timedOut ? ' (some did not exit)' : ''}`);
  else if (result.alreadyEnded) printLine(`${result.session.id} already ${result.session.status}${endDetail(result.session)}; nothing to cancel`);
  else printLine(`${result.session.id} ${result.session.status} after ${result.steps.join(' → ')}${result.timedOut ? ' (timed out waiting for exit)' : ''}`);
  if (result.timedOut && result.endedLeftovers) throw new CcxError('E_TIMEOUT', `processes left by session ${result.session.id} did not exit after SIGKILL: ${result.session.leftoverPids.join(' ')}`, 'check for processes stuck in the kernel (state D) with ps');
  if (result.timedOut) throw new CcxError('E_TIMEOUT', `session ${result.session.id} did not exit after SIGKILL`, 'check for processes stuck in the kernel (state D) with ps');
  return 0;
}

export const cancelCommand: CommandModule<object, CancelArgs> = {
  command: 'cancel <id>',
  describe: 'Stop a session: SIGINT, then SIGTERM, then SIGKILL to all its processes',
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .option('grace', { type: 'number', describe: 'seconds to wait after SIGINT before SIGTERM (default 3)' })
      .option('force', { type: 'boolean', describe: 'SIGKILL every process of the session at once' })
      .option('json', { type: 'boolean' })
      .example('$0 cancel py', 'interrupt, then escalate if needed')
      .example('$0 cancel py --grace 10', 'give it 10 s to exit after SIGINT') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      if (argv.grace !== undefined && !(argv.grace >= 0)) throw usageError('--grace must be a number of seconds ≥ 0');
      return cancel(ctx, argv.id, { graceMs: argv.grace === undefined ? undefined : Math.round(argv.grace * 1000), force: argv.force });
    }),
};

export const killCommand: CommandModule<object, Omit<CancelArgs, 'grace' | 'force'>> = {
  command: 'kill <id>',
  describe: 'Kill a session at once (same as cancel --force)',
  builder: (y) => y.positional('id', { type: 'string' }).option('json', { type: 'boolean' }).example('$0 kill py', 'SIGKILL everything in session py') as never,
  handler: (argv) => runCommand(argv, (ctx) => cancel(ctx, argv.id, { force: true })),
};
