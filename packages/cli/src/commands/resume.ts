import type { CommandModule } from 'yargs';
import type { SessionInfo } from '@ccx/shared';
import { runCommand } from '../context.js';
import { printJson, printLine } from '../output.js';
import { parseEnvPairs } from '../spawn-options.js';
import { SESSION_ID_ARG } from './session-arg.js';

interface ResumeArgs {
  id: string;
  env?: string[];
  json?: boolean;
}

export const resumeCommand: CommandModule<object, ResumeArgs> = {
  command: 'resume <id>',
  describe: 'Start an ended or lost structured agent session (start --agent claude) again on the same conversation (claude --resume)',
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .option('env', { type: 'string', array: true, describe: 'KEY=VALUE added to the environment (this shell\'s is the base, as for start)' })
      .option('json', { type: 'boolean', describe: 'print the session as JSON' })
      .example('$0 resume cc && $0 send cc --wait "where were we?"', 'after a daemon crash (the session is lost) or a cancel') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const remote = ctx.host !== undefined;
      const extra = parseEnvPairs(argv.env?.map(String));
      const env = remote ? extra : { ...(process.env as Record<string, string>), ...extra };
      const conn = await ctx.connect();
      const info = await conn.request('session.resume', {
        target: argv.id,
        env,
        ...(remote ? { inheritDaemonEnv: true } : { umask: process.umask() }),
      });
      if (ctx.json) printJson(info);
      else printLine(info.id);
    }),
};
