import type { CommandModule } from 'yargs';
import type { ApproveResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { printJson, printLine, usageError } from '../output.js';
import { SESSION_ID_ARG } from './session-arg.js';

interface ApproveArgs {
  id: string;
  req?: string;
  input?: string;
  message?: string;
  preset?: string;
  json?: boolean;
}

function parseInput(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw usageError(`--input needs a JSON object, got: ${text.slice(0, 80)}`, `example: --input '{"command":"ls"}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError('--input needs a JSON object', `example: --input '{"command":"ls"}'`);
  return value as Record<string, unknown>;
}

/** approve and deny are one verb with two answers: the same daemon method, the same checks. */
function answerCommand(approved: boolean): CommandModule<object, ApproveArgs> {
  const verb = approved ? 'approve' : 'deny';
  return {
    command: `${verb} <id> [req]`,
    describe: approved
      ? "Allow what the agent's permission dialog asks (Claude Code TUI: its \"1. Yes\"), and check the dialog closed"
      : "Refuse what the agent's permission dialog asks (Claude Code TUI: Escape); --message says what to do instead",
    builder: (y) => {
      let b = y
        .positional('id', SESSION_ID_ARG)
        .positional('req', { type: 'string', describe: 'structured session (--agent): the request to answer (ccx approvals); optional while one is pending' })
        .option('preset', { type: 'string', describe: "use this preset's keys instead of the session's" })
        .option('json', { type: 'boolean', describe: 'print the result as JSON' });
      if (approved) b = b.option('input', { type: 'string', describe: 'structured session: run the tool with this input instead (a JSON object)' });
      if (!approved) b = b.option('message', { alias: 'm', type: 'string', describe: 'then send this as the next prompt' });
      return b.example(`$0 ${verb} agent`, approved ? 'let it run the command it asked about' : 'refuse it').epilogue(
        'A structured session (start --agent claude) answers its pending request; the first answer wins, a later one fails and says who answered. Exit 3 when the session is not asking (ccx list shows STATE waiting:permission while it asks); the key is pressed again, up to 3 times, while the dialog stays open.',
      ) as never;
    },
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const input = argv.input === undefined ? undefined : parseInput(argv.input);
        const conn = await ctx.connect();
        const agentFields = { requestId: argv.req, input, by: `ccx ${verb} (pid ${process.pid})` };
        const result = await conn.request('session.approve', { target: argv.id, approved, message: argv.message, preset: argv.preset, ...agentFields });
        if (ctx.json) printJson(result);
        else printLine(`${result.session}${result.requestId ? ` ${result.requestId}` : ''} ${approved ? 'approved' : 'denied'}${result.messageSent ? ', message sent' : ''}`);
      }),
  };
}

export const approveCommand = answerCommand(true);
export const denyCommand = answerCommand(false);
