import type { CommandModule } from 'yargs';
import type { RemoveResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { parseDuration } from '../format.js';
import { printJson, printLine, usageError } from '../output.js';

export const rmCommand: CommandModule<object, { ids: string[]; force?: boolean; json?: boolean }> = {
  command: 'rm <ids..>',
  describe: "Remove ended sessions' records and logs",
  builder: (y) =>
    y
      .positional('ids', { type: 'string', array: true })
      .option('force', { alias: 'f', type: 'boolean', describe: 'kill running sessions first' })
      .option('json', { type: 'boolean' })
      .example('$0 rm py', 'forget the ended session py') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const conn = await ctx.connect();
      const result = await conn.request('session.rm', { targets: argv.ids.map(String), force: argv.force });
      if (ctx.json) printJson(result);
      else result.removed.forEach((id) => printLine(`removed ${id}`));
    }),
};

export const pruneCommand: CommandModule<object, { 'older-than'?: string; json?: boolean }> = {
  command: 'prune',
  describe: 'Remove every ended session (optionally only older ones)',
  builder: (y) =>
    y
      .option('older-than', { type: 'string', describe: 'only sessions that ended longer ago than this: 30s, 10m, 2h, 7d' })
      .option('json', { type: 'boolean' })
      .example('$0 prune --older-than 7d', 'forget sessions that ended over a week ago') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const olderThanMs = argv['older-than'] === undefined ? 0 : parseDuration(argv['older-than']);
      if (olderThanMs === undefined) throw usageError(`bad duration: ${argv['older-than']}`, 'use e.g. 30s, 10m, 2h, 7d');
      const conn = await ctx.connect();
      const result = await conn.request('session.prune', { olderThanMs });
      if (ctx.json) printJson(result);
      else printLine(`removed ${result.removed.length} session${result.removed.length === 1 ? '' : 's'}`);
    }),
};
