import type { CommandModule } from 'yargs';
import type { ApproveResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { printJson, printLine } from '../output.js';
import { SESSION_ID_ARG } from './session-arg.js';

interface ApproveArgs {
  id: string;
  message?: string;
  preset?: string;
  json?: boolean;
}

/** approve and deny are one verb with two answers: the same daemon method, the same checks. */
function answerCommand(approved: boolean): CommandModule<object, ApproveArgs> {
  const verb = approved ? 'approve' : 'deny';
  return {
    command: `${verb} <id>`,
    describe: approved
      ? "Allow what the agent's permission dialog asks (Claude Code TUI: its \"1. Yes\"), and check the dialog closed"
      : "Refuse what the agent's permission dialog asks (Claude Code TUI: Escape); --message says what to do instead",
    builder: (y) => {
      let b = y
        .positional('id', SESSION_ID_ARG)
        .option('preset', { type: 'string', describe: "use this preset's keys instead of the session's" })
        .option('json', { type: 'boolean', describe: 'print the result as JSON' });
      if (!approved) b = b.option('message', { alias: 'm', type: 'string', describe: 'then send this as the next prompt' });
      return b.example(`$0 ${verb} agent`, approved ? 'let it run the command it asked about' : 'refuse it').epilogue(
        'Exit 3 when the session is not asking (ccx list shows STATE waiting:permission while it asks); the key is pressed again, up to 3 times, while the dialog stays open.',
      ) as never;
    },
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const conn = await ctx.connect();
        const result = await conn.request('session.approve', { target: argv.id, approved, message: argv.message, preset: argv.preset });
        if (ctx.json) printJson(result);
        else printLine(`${result.session} ${approved ? 'approved' : 'denied'}${result.messageSent ? ', message sent' : ''}`);
      }),
  };
}

export const approveCommand = answerCommand(true);
export const denyCommand = answerCommand(false);
