import type { CommandModule } from 'yargs';
import type { DetachResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, printNote, usageError } from '../output.js';

interface DetachArgs {
  id: string;
  all?: boolean;
  client?: number;
  json?: boolean;
}

export const detachCommand: CommandModule<object, DetachArgs> = {
  command: 'detach <id>',
  describe: 'Detach attached terminals from a session (it keeps running): the only one, --client N, or --all',
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .option('all', { alias: 'a', type: 'boolean', describe: 'detach every client' })
      .option('client', { type: 'number', describe: 'detach client N (numbers: ccx clients ID)' })
      .option('json', { type: 'boolean', describe: 'print {session, detached: [N...]}' })
      .example('$0 detach agent --client 2', 'detach client 2; the others stay')
      .example('$0 detach agent --all', 'detach everyone')
      .epilogue('Without --all or --client, the one attached client is detached; with several, ccx asks which.') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      if (argv.all && argv.client !== undefined) throw usageError('give either --all or --client N, not both');
      if (argv.client !== undefined && !(Number.isSafeInteger(argv.client) && argv.client >= 1)) {
        throw usageError(`--client needs a client number (1, 2, …), got: ${argv.client}`, `see the numbers with: ccx clients ${argv.id}`);
      }
      const conn = await ctx.connect();
      const result = await conn.request('session.detach', { target: argv.id, client: argv.client, all: argv.all || undefined });
      if (ctx.json) return printJson(result);
      printNote(result.detached.length === 0 ? `no clients were attached to ${result.session}` : `detached client${result.detached.length > 1 ? 's' : ''} ${result.detached.join(', ')} from ${result.session}`);
    }),
};
