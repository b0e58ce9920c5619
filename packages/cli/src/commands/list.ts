import type { CommandModule } from 'yargs';
import type { SessionInfo } from '@ccx/shared';
import { runCommand } from '../context.js';
import { formatAge, table } from '../format.js';
import { colorWanted } from '../color.js';
import { fitColumns, type FitStep } from '../fit-columns.js';
import { printJson, printLine } from '../output.js';

interface ListArgs {
  all?: boolean;
  json?: boolean;
}

/** Running: busy or idle (output in the last idleAfterMs or not). Ended: the exit code or signal, or why it failed. */
function outcome(s: SessionInfo): string {
  if (s.status === 'running') return s.activity ?? '';
  if (s.signal) return s.signal;
  if (s.exitCode !== null) return `code ${s.exitCode}`;
  return s.error ? s.error.slice(0, 40) : '';
}

/** What a narrow terminal gives up first: the command's tail, a long STATE, then whole columns, the command last. */
const NARROW_STEPS: FitStep[] = [
  { shorten: 'COMMAND', to: 24 },
  { shorten: 'STATE', to: 10 },
  { shorten: 'CWD', to: 16 },
  { drop: 'CWD' },
  { drop: 'CLIENTS' },
  { drop: 'ACTIVE' },
  { drop: 'PID' },
  { drop: 'AGE' },
  { shorten: 'COMMAND', to: 8 },
];

/** The session table; with `width` (a terminal's columns) cut down to fit it. */
export function renderSessions(sessions: SessionInfo[], color: boolean, width?: number): Promise<string> | string {
  const allHeader = ['ID', 'NAME', 'STATUS', 'PID', 'AGE', 'ACTIVE', 'STATE', 'CLIENTS', 'CWD', 'COMMAND'];
  const allRows = sessions.map((s) => [
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
  const { header, rows } = width ? fitColumns(allHeader, allRows, width, NARROW_STEPS) : { header: allHeader, rows: allRows };
  const statusCol = header.indexOf('STATUS');
  if (!color) return table(header, rows);
  // Level 1 (16 colours) whatever chalk detects: colorWanted already decided, FORCE_COLOR and NO_COLOR included.
  return import('chalk').then(({ Chalk }) => {
    const chalk = new Chalk({ level: 1 });
    const statusColor: Record<string, (t: string) => string> = {
      running: chalk.green,
      exited: chalk.dim,
      cancelled: chalk.yellow,
      failed: chalk.red,
      lost: chalk.magenta,
    };
    return table(header, rows, (cell, col, row) => (row < 0 ? chalk.bold(cell) : col === statusCol ? (statusColor[cell.trim()] ?? ((t: string) => t))(cell) : cell));
  });
}

export const listCommand: CommandModule<object, ListArgs> = {
  command: ['list', 'ls'],
  describe: 'List sessions (running ones; --all adds ended ones)',
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
        // A remark, not data: stdout stays empty, so `ccx list | wc -l` counts sessions.
        process.stderr.write(argv.all ? 'no sessions\n' : 'no running sessions (ccx list --all shows ended ones)\n');
        return;
      }
      const width = process.stdout.isTTY ? process.stdout.columns : undefined;
      printLine(await renderSessions(sessions, colorWanted(process.stdout), width));
    }),
};
