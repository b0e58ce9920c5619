import type { CommandModule } from 'yargs';
import { shellCommand } from '@ccx/shared';
import type { StartResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { printJson, printLine, printNote, usageError } from '../output.js';
import { spawnParams, withSpawnOptions, type SpawnArgs } from '../spawn-options.js';
import { parseTimeout, reportWaitFailure, runWait, waitExitCode, withTimeoutOption } from '../wait-options.js';

interface StartArgs extends SpawnArgs {
  reuse?: boolean;
  'wait-ready'?: boolean;
  timeout?: string;
  json?: boolean;
}

export const startCommand: CommandModule<object, StartArgs> = {
  command: 'start [cmd..]',
  describe: 'Start a program in a new background session',
  builder: (y) =>
    withSpawnOptions(withTimeoutOption(y))
      .option('reuse', { type: 'boolean', describe: 'with --name: return the running session of that name instead of failing' })
      .option('wait-ready', { type: 'boolean', describe: "wait until it is ready for input (the preset's ready pattern or prompt, else a quiet spell) before returning" })
      .option('json', { type: 'boolean', describe: 'print the session as JSON' })
      .example('$0 start --name py -- python3 -q', 'start a Python REPL named py')
      .example('$0 start --name py --reuse --preset python --wait-ready --timeout 30 -- python3 -q', 'idempotent for cron: reuse py if it runs, and wait for >>>')
      .example('$0 start -- bash', 'start a shell; prints its id') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const params = spawnParams(argv, 'ccx start -- bash', ctx.host !== undefined);
      if (argv.timeout !== undefined && !argv['wait-ready']) throw usageError('--timeout goes with --wait-ready', 'example: ccx start --wait-ready --timeout 30 --preset python -- python3');
      if (argv.reuse && argv.name === undefined) throw usageError('--reuse needs --name: it reuses the running session of that name', 'example: ccx start --name py --reuse -- python3 -q');
      const readyTimeoutMs = parseTimeout(argv.timeout);
      const conn = await ctx.connect();
      const info = await conn.request('session.start', { ...params, reuse: argv.reuse });
      if (info.reused && shellCommand(info.command) !== shellCommand(params.command)) {
        printNote(`reused session ${info.name} (${info.id}), which runs ${shellCommand(info.command)}, not ${shellCommand(params.command)}`);
      }
      if (info.nameTakenFrom) printNote(`the name ${info.name} now belongs to ${info.id}; the ended session ${info.nameTakenFrom} that had it keeps its id`);
      let code = 0;
      if (argv['wait-ready']) {
        // From offset 0: a reused session that is already at its prompt counts as ready at once.
        const outcome = await runWait(conn, { target: info.id, from: 0, ready: true, timeoutMs: readyTimeoutMs, preset: argv.preset });
        reportWaitFailure(outcome, ctx.json, 'the program to be ready');
        code = waitExitCode(outcome);
      }
      // The id is printed even when the wait failed, so a script can still cancel the session.
      if (ctx.json) printJson(info);
      else printLine(info.id);
      return code;
    }),
};
