import type { CommandModule } from 'yargs';
import type { SendResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, printNote } from '../output.js';

interface InterruptArgs {
  id: string;
  key?: string;
  preset?: string;
  json?: boolean;
}

export const interruptCommand: CommandModule<object, InterruptArgs> = {
  command: 'interrupt <id>',
  describe: "Send the program its interrupt key (the preset's: Escape for Claude Code, C-c otherwise); the session keeps running",
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .option('key', { type: 'string', describe: "send this key instead of the preset's (a send --key name)" })
      .option('preset', { type: 'string', describe: "use this preset's interrupt key instead of the session's" })
      .option('json', { type: 'boolean', describe: 'print what was sent as JSON' })
      .example('$0 interrupt agent', 'stop Claude Code mid-answer (Escape), keep the session')
      .example('$0 interrupt sh', 'Ctrl-C the running command; the shell stays')
      .epilogue('Unlike cancel, this never signals or ends the session: it types one key.') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const conn = await ctx.connect();
      const result = await conn.request('session.interrupt', { target: argv.id, key: argv.key, preset: argv.preset });
      if (ctx.json) printJson(result);
      else if (result.skipped === 'idle') printNote(`${argv.id} is idle: nothing to interrupt (give --key Escape to press it anyway)`);
    }),
};
