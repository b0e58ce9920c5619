import type { CommandModule } from 'yargs';
import type { ClientsResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { formatAge, table } from '../format.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, printLine, printNote } from '../output.js';

interface ClientsArgs {
  id: string;
  json?: boolean;
}

export function renderClients(result: ClientsResult): string {
  const header = ['CLIENT', 'SIZE', 'MODE', 'IDLE', 'ATTACHED'];
  const rows = result.clients.map((c) => [
    String(c.client),
    c.cols !== null && c.rows !== null ? `${c.cols}x${c.rows}` : '-',
    c.readOnly ? 'read-only' : 'read-write',
    `${c.idleSeconds}s`,
    formatAge(c.attachedAt),
  ]);
  return table(header, rows);
}

export const clientsCommand: CommandModule<object, ClientsArgs> = {
  command: 'clients <id>',
  describe: 'Show who is attached to a session: client number, size, read-only, idle time',
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .option('json', { type: 'boolean', describe: 'print {session, windowSize, cols, rows, clients: [{client, cols, rows, readOnly, attachedAt, lastInputAt, idleSeconds}]}' })
      .example('$0 clients agent', 'who is attached, and how long since each typed')
      .example('$0 detach agent --client 2', 'then detach one of them') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const conn = await ctx.connect();
      const result = await conn.request('session.clients', { target: argv.id });
      if (ctx.json) return printJson(result);
      const summary = `${result.session}: ${result.cols}x${result.rows}, window-size ${result.windowSize}`;
      if (result.clients.length === 0) {
        printNote(`no clients attached to ${summary}`);
        return;
      }
      printLine(renderClients(result));
      printNote(summary);
    }),
};
