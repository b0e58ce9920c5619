import type { CommandModule } from 'yargs';
import type { SessionInfo } from '@ccx/shared';
import { runCommand } from '../context.js';
import { formatAge, table } from '../format.js';
import { printJson, printLine } from '../output.js';

interface ListArgs {
  all?: boolean;
  json?: boolean;
}

/** Running: busy or idle (output in the last idleAfterMs or not). Ended: the exit code or signal, or why it failed. */
function outcome(s: SessionInfo): string {
  if (s.status === 'running') return s.activity ?? '';
  return [ended(s), leftovers(s)].filter(Boolean).join(', ');
}

function ended(s: SessionInfo): string {
  if (s.signal) return s.signal;
  if (s.exitCode !== null) return `code ${s.exitCode}`;
  return s.error ? s.error.slice(0, 40) : '';
}

/** Processes its program left running (`ccx cancel ID` ends them); older daemons send no such field. */
function leftovers(s: SessionInfo): string {
  const n = s.leftoverPids?.length ?? 0;
  return n ? `${n} left running` : '';
}

export function renderSessions(sessions: SessionInfo[], color: boolean): Promise<string> | string {
  const header = ['ID', 'NAME', 'STATUS', 'PID', 'AGE', 'ACTIVE', 'STATE', 'CLIENTS', 'CWD', 'COMMAND'];
  const rows = sessions.map((s) => [
    s.id,
    s.name ?? '-',
    s.status,
    s.pid === null ? '-' : String(s.pid),
    formatAge(s.createdAt),
    formatAge(s.lastActivityAt),
    outcome(s) || '-',
    String(s.attachedClients),
    s.cwd,
    s.command.join(' '),
  ]);
  if (!color) return table(header, rows);
  return import('chalk').then(({ default: chalk }) => {
    const statusColor: Record<string, (t: string) => string> = {
      running: chalk.green,
      exited: chalk.dim,
      cancelled: chalk.yellow,
      failed: chalk.red,
      lost: chalk.magenta,
    };
    return table(header, rows, (cell, col, row) => (row < 0 ? chalk.bold(cell) : col === 2 ? (statusColor[cell.trim()] ?? ((t: string) => t))(cell) : cell));
  });
}

export const listCommand: CommandModule<object, ListArgs> = {
  command: ['list', 'ls'],
  describe: 'List sessions (running ones, and ended ones that left processes running; --all adds every ended one)',
  builder: (y) =>
    y
      .option('all', { alias: 'a', type: 'boolean', describe: 'include exited, cancelled, failed and lost sessions' })
      .option('json', { type: 'boolean', describe: 'print a JSON array of sessions (schema: README, "ccx list --json")' })
      .example('$0 list --all', 'every session, ended ones too')
      .example('$0 list --json | jq -r ".[].id"', 'ids for scripts') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const conn = await ctx.connect();
      const sessions = await conn.request<SessionInfo[]>('session.list', { all: argv.all ?? false });
      if (ctx.json) return printJson(sessions);
      if (sessions.length === 0) {
        printLine(argv.all ? 'no sessions' : 'no running sessions (ccx list --all shows ended ones)');
        return;
      }
      const color = !!process.stdout.isTTY && !process.env.NO_COLOR;
      printLine(await renderSessions(sessions, color));
    }),
};
