import type { CommandModule } from 'yargs';
import type { ApprovalsResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { printJson, printLine } from '../output.js';

interface ApprovalsArgs {
  id?: string;
  json?: boolean;
}

/** Longest tool input shown per line; --json has all of it. */
const INPUT_PREVIEW_CHARS = 100;

export const approvalsCommand: CommandModule<object, ApprovalsArgs> = {
  command: 'approvals [id]',
  describe: 'List the tool uses structured agent sessions (start --agent claude) wait for you to approve or deny',
  builder: (y) =>
    y
      .positional('id', { type: 'string', describe: "only this session's (id, unique id prefix, or name)" })
      .option('json', { type: 'boolean', describe: 'print {approvals:[{sessionId, requestId, tool, input, suggestions, requestedAt}]}' })
      .example('$0 approvals', 'what every session is asking')
      .example("$0 approvals cc --json | jq -r '.approvals[0].requestId'", 'the id to give ccx approve cc ID') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const conn = await ctx.connect();
      const result = await conn.request('approvals.list', { target: argv.id });
      if (ctx.json) return void printJson(result);
      for (const a of result.approvals) {
        const input = JSON.stringify(a.input);
        printLine(`${a.sessionId}  ${a.requestId}  ${a.tool}  ${input.length > INPUT_PREVIEW_CHARS ? input.slice(0, INPUT_PREVIEW_CHARS) + '…' : input}`);
      }
    }),
};
