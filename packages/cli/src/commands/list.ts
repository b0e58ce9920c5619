import type { CommandModule } from 'yargs';
import type { SessionInfo } from '@ccx/shared';
import { runCommand } from '../context.js';
import { formatAge, table } from '../format.js';
import { printJson, printLine } from '../output.js';
import type { ClientEnv } from '../client/ensure-daemon.js';
import type { HostSessions } from '../remote/all-hosts.js';

/** `--json`: every session with its `host`, and `{host, error}` for a host that did not answer. Exit 0 unless no host answered. */
async function listEveryHost(env: ClientEnv, all: boolean, json: boolean): Promise<number> {
  const results = await (await import('../remote/all-hosts.js')).listAllHosts(env, all);
  if (json) printJson(results.flatMap<object>((r) => ('error' in r ? [{ host: r.host, error: r.error }] : r.sessions.map((s) => ({ host: r.host, ...s })))));
  else printLine(await renderHosts(results, !!process.stdout.isTTY && !process.env.NO_COLOR));
  return results.every((r) => 'error' in r) ? 4 : 0;
}

interface ListArgs {
  all?: boolean;
  json?: boolean;
  'all-hosts'?: boolean;
}

/** Running: busy or idle (output in the last idleAfterMs or not). Ended: the exit code or signal, or why it failed. */
function outcome(s: SessionInfo): string {
  if (s.status === 'running') return s.activity ?? '';
  if (s.signal) return s.signal;
  if (s.exitCode !== null) return `code ${s.exitCode}`;
  return s.error ? s.error.slice(0, 40) : '';
}

function sessionRow(s: SessionInfo): string[] {
  return [
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
  ];
}

const HEADER = ['ID', 'NAME', 'STATUS', 'PID', 'AGE', 'ACTIVE', 'STATE', 'CLIENTS', 'CWD', 'COMMAND'];

export function renderSessions(sessions: SessionInfo[], color: boolean): Promise<string> | string {
  return renderTable(HEADER, sessions.map(sessionRow), color, 2);
}

/** With a HOST column first; a host that did not answer is one row with its error. */
function renderHosts(results: HostSessions[], color: boolean): Promise<string> | string {
  const rows = results.flatMap((r) =>
    'error' in r ? [[r.host, '-', '-', 'unreachable', '-', '-', '-', r.error.code, '-', '-', r.error.message]] : r.sessions.map((s) => [r.host, ...sessionRow(s)]),
  );
  return renderTable(['HOST', ...HEADER], rows, color, 3);
}

function renderTable(header: string[], rows: string[][], color: boolean, statusCol: number): Promise<string> | string {
  if (!color) return table(header, rows);
  return import('chalk').then(({ default: chalk }) => {
    const statusColor: Record<string, (t: string) => string> = {
      running: chalk.green,
      exited: chalk.dim,
      cancelled: chalk.yellow,
      failed: chalk.red,
      lost: chalk.magenta,
      unreachable: chalk.red,
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
      .option('all-hosts', { type: 'boolean', describe: 'this machine and every host named in the config file, in parallel, with a HOST column' })
      .example('$0 list --all', 'every session, ended ones too')
      .example('$0 list --json | jq -r ".[].id"', 'ids for scripts') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      if (argv['all-hosts']) return listEveryHost(ctx.env, argv.all ?? false, ctx.json);
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
