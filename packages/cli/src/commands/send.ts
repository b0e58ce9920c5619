import type { CommandModule } from 'yargs';
import type { SendResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { printJson, usageError } from '../output.js';

interface SendArgs {
  id: string;
  text?: string[];
  stdin?: boolean;
  enter?: boolean;
  key?: string[];
  'enter-delay'?: number;
  json?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const sendCommand: CommandModule<object, SendArgs> = {
  command: 'send <id> [text..]',
  describe: 'Type text (and Enter) or keys into a session',
  builder: (y) =>
    y
      .positional('id', { type: 'string', describe: 'session id, id prefix or name' })
      .positional('text', { type: 'string', array: true, describe: 'text to paste; words are joined with spaces' })
      .option('stdin', { type: 'boolean', describe: 'read the text from standard input' })
      .option('enter', { type: 'boolean', default: true, describe: 'press Enter after the text (--no-enter to not)' })
      .option('key', { type: 'string', array: true, describe: 'key to press after the text: Enter, Escape, Tab, Up, C-c, or a literal like "\\x1b[A" (repeatable)' })
      .option('enter-delay', { type: 'number', describe: 'ms between the text and Enter (default 150)' })
      .option('json', { type: 'boolean', describe: 'print what was sent as JSON' })
      .example('$0 send py "6*7"', 'paste 6*7 and press Enter')
      .example('$0 send agent --key Escape', 'press Escape only')
      .example('echo hi | $0 send sh --stdin', 'send standard input') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      let text = argv.text?.length ? argv.text.map(String).join(' ') : undefined;
      if (argv.stdin) {
        if (text !== undefined) throw usageError('give the text either as arguments or with --stdin, not both');
        text = (await readStdin()).replace(/\r?\n$/, '');
      }
      const keys = argv.key?.map(String) ?? [];
      if (text === undefined && keys.length === 0 && !argv.enter) throw usageError('nothing to send', 'give text, --stdin or --key');
      const conn = await ctx.connect();
      const result = await conn.request<SendResult>('session.send', {
        target: argv.id,
        text,
        // Enter follows text unless --no-enter; explicit keys replace it.
        enter: text === undefined ? keys.length === 0 : argv.enter !== false && keys.length === 0,
        keys,
        enterDelayMs: argv['enter-delay'],
      });
      if (ctx.json) printJson(result);
    }),
};
