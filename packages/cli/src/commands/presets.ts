import type { CommandModule } from 'yargs';
import type { Preset } from '@ccx/shared';
import { runCommand } from '../context.js';
import { table } from '../format.js';
import { printJson, printLine } from '../output.js';

interface PresetsArgs {
  json?: boolean;
}

export const presetsCommand: CommandModule<object, PresetsArgs> = {
  command: 'presets',
  describe: 'List the presets (built-in and from the config file) for --preset',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', describe: 'print every field of every preset as JSON' })
      .example('$0 presets', 'prompt, idle time, Enter delay and interrupt key of each')
      .epilogue('User presets: the "presets" object of the config file ($XDG_CONFIG_HOME/ccx/config.json); see the README.') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const conn = await ctx.connect();
      const presets = await conn.request('presets.list', {});
      if (ctx.json) return printJson(presets);
      const rows = presets.map((p) => [p.name, p.prompt ?? p.ready ?? '-', `${p.idleMs}`, `${p.enterDelayMs}`, p.interruptKey, p.answer, p.description]);
      printLine(table(['NAME', 'PROMPT/READY', 'IDLE MS', 'ENTER MS', 'INTERRUPT', 'PRINTS', 'DESCRIPTION'], rows));
    }),
};
