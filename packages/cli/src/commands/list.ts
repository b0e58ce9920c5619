import type { CommandModule } from 'yargs';
import type { SessionInfo } from '@ccx/shared';
import { runCommand } from '../context.js';
import { formatAge, table } from '../format.js';
import { colorWanted } from '../color.js';
import { fitColumns, type FitStep } from '../fit-columns.js';
import { printJson, printLine } from '../output.js';
import type { ClientEnv } from '../client/ensure-daemon.js';
import type { HostSessions } from '../remote/all-hosts.js';

interface ListArgs {
  all?: boolean;
  json?: boolean;
  'all-hosts'?: boolean;
}

/** Running: busy or idle (output in the last idleAfterMs or not). Ended: the exit code or signal, or why it failed. */
function outcome(s: SessionInfo): string {
  if (s.status === 'running') return s.activity === 'waiting' && s.waitingFor ? `waiting:${s.waitingFor}` : (s.activity ?? '');
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

/** What a narrow terminal gives up first: the command's tail, a long STATE, then whole columns, the command last. */
const NARROW_STEPS: FitStep[] = [
  { shorten: 'COMMAND', to: 24 },
  // Room for `waiting:permission` (18) before anything is cut.
  { shorten: 'STATE', to: 18 },
  { shorten: 'CWD', to: 16 },
  { drop: 'CWD' },
  { drop: 'CLIENTS' },
  { drop: 'ACTIVE' },
  { drop: 'PID' },
  { drop: 'AGE' },
  { shorten: 'COMMAND', to: 8 },
];

const HEADER = ['ID', 'NAME', 'STATUS', 'PID', 'AGE', 'ACTIVE', 'STATE', 'CLIENTS', 'CWD', 'COMMAND'];

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
    // A structured agent session: its kind, Claude's session id and the cost so far before the command.
    (s.agent ? `[${s.agent.kind} ${s.agent.claudeSessionId?.slice(0, 8) ?? '-'} $${s.agent.costUsd.toFixed(4)}] ` : '') + s.command.join(' '),
  ];
}

/** The session table; with `width` (a terminal's columns) cut down to fit it. */
export function renderSessions(sessions: SessionInfo[], color: boolean, width?: number): Promise<string> | string {
  return renderTable(HEADER, sessions.map(sessionRow), color, width);
}

/** With a HOST column first; a host that did not answer is one row with its error. */
function renderHosts(results: HostSessions[], color: boolean, width?: number): Promise<string> | string {
  const rows = results.flatMap((r) =>
    'error' in r ? [[r.host, '-', '-', 'unreachable', '-', '-', '-', r.error.code, '-', '-', r.error.message]] : r.sessions.map((s) => [r.host, ...sessionRow(s)]),
  );
  return renderTable(['HOST', ...HEADER], rows, color, width);
}

function renderTable(allHeader: string[], allRows: string[][], color: boolean, width?: number): Promise<string> | string {
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
      unreachable: chalk.red,
    };
    return table(header, rows, (cell, col, row) => (row < 0 ? chalk.bold(cell) : col === statusCol ? (statusColor[cell.trim()] ?? ((t: string) => t))(cell) : cell));
  });
}

/** `--json`: every session with its `host`, and `{host, error}` for a host that did not answer. Exit 0 unless no host answered. */
async function listEveryHost(env: ClientEnv, all: boolean, json: boolean): Promise<number> {
  const results = await (await import('../remote/all-hosts.js')).listAllHosts(env, all);
  if (json) printJson(results.flatMap<object>((r) => ('error' in r ? [{ host: r.host, error: r.error }] : r.sessions.map((s) => ({ host: r.host, ...s })))));
  else printLine(await renderHosts(results, colorWanted(process.stdout), process.stdout.isTTY ? process.stdout.columns : undefined));
  return results.every((r) => 'error' in r) ? 4 : 0;
}

export const listCommand: CommandModule<object, ListArgs> = {
  command: ['list', 'ls'],
  describe: 'List sessions (running ones, and ended ones that left processes running; --all adds every ended one)',
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
      const sessions = await conn.request('session.list', { all: argv.all ?? false });
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
