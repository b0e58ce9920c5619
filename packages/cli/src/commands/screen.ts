import type { CommandModule } from 'yargs';
import type { ScreenResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, usageError } from '../output.js';

interface ScreenArgs {
  id: string;
  ansi?: boolean;
  json?: boolean;
  scrollback?: number;
}

export const screenCommand: CommandModule<object, ScreenArgs> = {
  command: 'screen <id>',
  describe: "Print what the session's terminal shows right now",
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .option('ansi', { type: 'boolean', describe: 'keep colours and attributes (escape sequences)' })
      .option('json', { type: 'boolean', describe: 'print {text, cols, rows, cursor, alternateScreen, title, offset} as JSON' })
      .option('scrollback', { type: 'number', describe: 'also print up to N lines that scrolled off the top' })
      .example('$0 screen agent', 'the screen as plain text')
      .example('$0 screen agent --json | jq .cursor', 'where the cursor is') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      if (argv.scrollback !== undefined && (!Number.isSafeInteger(argv.scrollback) || argv.scrollback < 0)) {
        throw usageError(`--scrollback needs a whole number ≥ 0, got ${argv.scrollback}`);
      }
      const conn = await ctx.connect();
      const screen = await conn.request('session.screen', { target: argv.id, ansi: argv.ansi ?? false, scrollback: argv.scrollback });
      if (ctx.json) return printJson(screen);
      const body = argv.ansi ? screen.ansi ?? '' : screen.text;
      if (body.length > 0) process.stdout.write(body + '\n');
    }),
};
