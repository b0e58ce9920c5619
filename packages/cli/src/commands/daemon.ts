import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, watchFile } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { CcxError, isProcessAlive as isAlive, shellCommand, type DaemonStatus, type SessionInfo } from '@ccx/shared';
import type { DaemonConnection } from '../client/ipc-client.js';
import { runCommand, type CliContext } from '../context.js';
import { escapeControls, formatAge, humanBytes } from '../format.js';
import { EXIT, printJson, printLine, printNote } from '../output.js';
import { dialStdioCommand } from './dial-stdio.js';
import { remoteCommandHint } from '../remote/ssh-command.js';

type Args = { json?: boolean; follow?: boolean; lines?: number; yes?: boolean };

/** How long `daemon stop` waits for the daemon to end its sessions and exit. */
const STOP_TIMEOUT_MS = 20_000;

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

function registryPid(ctx: CliContext): number | undefined {
  try {
    return (JSON.parse(readFileSync(ctx.env.paths.registryFile, 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

/**
 * Stops the daemon. A daemon of another version refuses our hello, so that
 * case falls back to SIGTERM by the pid in its registry file — otherwise the
 * fix the version error suggests (`ccx daemon restart`) could not work.
 */
async function stopDaemon(ctx: CliContext, confirm?: (running: SessionInfo[] | undefined) => Promise<boolean>): Promise<number | 'declined' | undefined> {
  let pid: number | undefined;
  try {
    const conn = await ctx.connectExisting();
    if (!conn) return undefined;
    pid = conn.daemonPid;
    const running = await runningSessions(conn);
    if (confirm && running.length && !(await confirm(running))) return 'declined';
    // Say which sessions end, before they do: they are gone afterwards.
    if (running.length) process.stderr.write(`ending ${running.length} running session${running.length === 1 ? '' : 's'}:\n${running.map(describeSession).join('\n')}\n`);
    await conn.request('daemon.stop', {}, 5_000);
  } catch (error) {
    if (!(error instanceof CcxError && error.code === 'E_VERSION')) throw error;
    pid = registryPid(ctx);
    if (pid === undefined) throw error;
    // Its sessions cannot be listed (it refuses our hello): ask about all of them.
    if (confirm && !(await confirm(undefined))) return 'declined';
    process.stderr.write(`ending daemon ${pid} (another version of ccx) and every session it runs\n`);
    process.kill(pid, 'SIGTERM');
  }
  if (!(await waitForExit(pid, STOP_TIMEOUT_MS))) {
    throw new CcxError('E_TIMEOUT', `daemon ${pid} did not exit within ${STOP_TIMEOUT_MS / 1000} s`, `kill it with: kill -9 ${pid}`);
  }
  return pid;
}

/** Running ones only: `list` also returns ended sessions whose leftover processes still run. */
async function runningSessions(conn: DaemonConnection): Promise<SessionInfo[]> {
  return (await conn.request('session.list', { all: false }, 10_000)).filter((s) => s.status === 'running');
}

function describeSession(s: SessionInfo): string {
  return `  ${s.id}${s.name ? ` ${s.name}` : ''}  ${shellCommand(s.command)}`;
}

/**
 * `daemon restart` on a terminal asks before it ends running sessions (a
 * script, with no terminal on stdin, is never asked). The question goes to
 * stderr, so stdout stays the command's result.
 */
async function askToRestart(running: SessionInfo[] | undefined): Promise<boolean> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      const what = running
        ? `${running.length} running session${running.length === 1 ? '' : 's'} will end:\n${running.map(describeSession).join('\n')}\n`
        : 'the daemon runs another version of ccx; every session it holds will end\n';
      rl.question(`${what}restart the daemon? [y/N] `, resolve);
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function printStatus(s: DaemonStatus): void {
  const counts = Object.entries(s.events.counts)
    .map(([type, n]) => `${type}=${n}`)
    .join(' ');
  printLine(`daemon    running, pid ${s.pid}, version ${s.version} (protocol ${s.protocol})`);
  printLine(`uptime    ${formatAge(s.startedAt)} (since ${s.startedAt})`);
  printLine(`socket    ${s.socket}`);
  printLine(`state     ${s.stateDir}`);
  printLine(`sessions  ${s.sessions.running} running, ${s.sessions.total} total`);
  printLine(`clients   ${s.clients} connected`);
  printLine(`events    last seq ${s.events.lastSeq}, ${s.events.subscribers} subscribers${counts ? `; ${counts}` : ''}`);
  printLine(`memory    ${humanBytes(s.rssBytes)} RSS`);
  for (const h of s.webhooks ?? []) {
    const error = h.lastError ? `; last error ${h.lastError.message} ${formatAge(h.lastError.time)} ago` : '';
    printLine(escapeControls(`webhook   ${h.label ?? h.id} ${h.state}: ${h.delivered} delivered, ${h.failed} failed, ${h.pending} pending, ${h.dropped} dropped${error}`));
  }
}

function tailLines(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all.slice(-lines).join('\n');
}

function followFile(file: string, from: number): Promise<never> {
  let offset = from;
  const pump = (): void => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0; // rotated
    if (size === offset) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      process.stdout.write(buf);
    } finally {
      closeSync(fd);
    }
  };
  watchFile(file, { interval: 200 }, pump);
  return new Promise(() => {});
}

/**
 * stop, restart, run and logs act on this machine's daemon process and
 * files (its pid, its log); through ssh they would act on the wrong one.
 */
function localOnly(ctx: CliContext, what: string): void {
  if (!ctx.host) return;
  throw new CcxError('E_USAGE', `ccx daemon ${what} acts on this machine's daemon, not on ${ctx.host.label}`, `run it there: ${remoteCommandHint(ctx.host, `daemon ${what}`)}`);
}

const subcommands: CommandModule<object, Args>[] = [
  {
    command: 'run',
    describe: 'Run the daemon in the foreground (for systemd or launchd)',
    builder: (y) => y.example('$0 daemon run', 'serve until SIGTERM') as never,
    handler: async () => {
      if (process.env.CCX_HOST && process.env.CCX_HOST !== 'local') {
        process.stderr.write('ccx: ccx daemon run serves this machine; --host/CCX_HOST does not apply [E_USAGE]\nhint: unset CCX_HOST, or run it on the other machine\n');
        process.exitCode = 2;
        return;
      }
      const { main } = await import('@ccx/daemon');
      process.exitCode = await main(['run', '--foreground']);
    },
  },
  {
    command: 'start',
    describe: 'Start the daemon in the background if it is not running',
    builder: (y) => y.option('json', { type: 'boolean' }).example('$0 daemon start', 'start it now rather than on first use') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const conn = await ctx.connect();
        if (ctx.json) printJson({ running: true, pid: conn.daemonPid, version: conn.daemonVersion });
        else printLine(`daemon running, pid ${conn.daemonPid}`);
      }),
  },
  {
    command: 'stop',
    describe: 'Stop the daemon, ending every session (it lists them on stderr)',
    builder: (y) => y.option('json', { type: 'boolean' }).example('$0 daemon stop', 'end all sessions and the daemon') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        localOnly(ctx, 'stop');
        const pid = (await stopDaemon(ctx)) as number | undefined; // no confirm: never 'declined'
        if (ctx.json) printJson({ stopped: pid !== undefined, pid: pid ?? null });
        else printLine(pid === undefined ? 'daemon not running' : `daemon ${pid} stopped`);
      }),
  },
  {
    command: 'restart',
    describe: 'Stop the daemon (ending every session) and start it again',
    builder: (y) =>
      y
        .option('json', { type: 'boolean' })
        .option('yes', { alias: 'y', type: 'boolean', describe: 'do not ask before ending running sessions (on a terminal it asks; a script is never asked)' })
        .example('$0 daemon restart', 'e.g. after upgrading ccx')
        .example('$0 daemon restart --yes', 'no question, even on a terminal') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        localOnly(ctx, 'restart');
        if ((await stopDaemon(ctx, process.stdin.isTTY && !argv.yes ? askToRestart : undefined)) === 'declined') {
          printNote('not restarted: the daemon and its sessions keep running (--yes restarts without asking)');
          return EXIT.ERROR;
        }
        const conn = await ctx.connect();
        if (ctx.json) printJson({ running: true, pid: conn.daemonPid, version: conn.daemonVersion });
        else printLine(`daemon running, pid ${conn.daemonPid}`);
      }),
  },
  {
    command: 'status',
    describe: 'Show the daemon: pid, version, uptime, socket, sessions, clients, events',
    builder: (y) => y.option('json', { type: 'boolean' }).example('$0 daemon status --json', 'machine-readable') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const conn = await ctx.connectExisting();
        if (!conn) {
          if (ctx.json) printJson({ running: false, socket: ctx.env.paths.socketPath });
          else printLine(`daemon not running (socket ${ctx.env.paths.socketPath})`);
          return 4;
        }
        const status = await conn.request('daemon.status', {}, 10_000);
        if (ctx.json) printJson({ running: true, ...status });
        else printStatus(status);
      }),
  },
  {
    command: 'logs',
    describe: "Show the daemon's own log (JSON lines)",
    builder: (y) =>
      y
        .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing new lines' })
        .option('lines', { alias: 'n', type: 'number', default: 50, describe: 'how many recent lines' })
        .example('$0 daemon logs -f', 'watch the daemon log') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        localOnly(ctx, 'logs');
        const file = ctx.env.paths.daemonLog;
        const text = tailLines(file, argv.lines ?? 50);
        if (text) printLine(text);
        else if (!argv.follow) process.stderr.write(`no daemon log yet at ${file}\n`);
        if (argv.follow) await followFile(file, existsSync(file) ? statSync(file).size : 0);
      }),
  },
];

export const daemonCommand: CommandModule = {
  command: 'daemon <command>',
  describe: 'Manage the background daemon: run, start, stop, restart, status, logs, dial-stdio',
  builder: (y: Argv) => {
    for (const sub of [...subcommands, dialStdioCommand]) y.command(sub as CommandModule);
    return y.demandCommand(1).example('$0 daemon status', 'is it running, and what does it hold?');
  },
  handler: () => {},
};
