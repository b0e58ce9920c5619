import type { CommandModule } from 'yargs';
import { CcxError, EXIT, setLongTimeout, type CancelResult, type StartResult } from '@ccx/shared';
import { describeEnd, openOutputStream, sessionExitCode } from '../client/output-stream.js';
import { runCommand } from '../context.js';
import { exitOnBrokenPipe, printNote, reportError } from '../output.js';
import { forwardStdin, type StdinInput } from '../run/stdin-input.js';
import { LiveText } from '../text/live-text.js';
import { parseTimeout } from '../wait-options.js';
import { spawnParams, withSpawnOptions, type SpawnArgs } from '../spawn-options.js';

interface RunArgs extends SpawnArgs {
  timeout?: string;
  raw?: boolean;
  json?: boolean;
  stdin?: boolean;
}

/** One JSON line on stdout (`run --json` streams these). */
function jsonLine(value: unknown): boolean {
  return process.stdout.write(JSON.stringify(value) + '\n');
}

export const runToEndCommand: CommandModule<object, RunArgs> = {
  command: 'run [cmd..]',
  describe: "Run a program in a new session to its end: stream its output, exit with its exit code",
  builder: (y) =>
    withSpawnOptions(y)
      .option('timeout', { type: 'string', describe: 'cancel the program after this long (seconds, or 500ms/30s/5m/1h/2d; any length) and exit 124' })
      .option('raw', { type: 'boolean', describe: 'the exact bytes the program wrote (the default when stdout is a terminal); otherwise plain text' })
      .option('json', { type: 'boolean', describe: 'JSON lines: {"type":"start"}, {"type":"output","text"}..., {"type":"end","exitCode"}' })
      .option('stdin', { type: 'boolean', describe: "type this standard input into the program, its end as Ctrl-D (the default); --no-stdin: give it none, as ssh -n" })
      .example("$0 run -- make test", 'run make in a session; exit with its code')
      .example("$0 run --name nightly --timeout 30m -- ./backup.sh", 'from cron: output to the cron mail, the log kept in ccx')
      .example("echo 6*7 | $0 run -- bc", 'the program reads this standard input through its terminal')
      .epilogue(
        'The session stays listed (ccx list --all) with its output log. SIGINT (Ctrl-C, unless stdin is a terminal: then keys go to the program) cancels the session; a second one kills it. ' +
          'Exit code: the program\'s, 128+N if signal N ended it, 124 after --timeout, 127 if it is not found, 126 if it cannot be executed. ' +
          'Standard input goes to the program through its terminal (echoed, Ctrl-C and Ctrl-D act as keys); on a terminal, raw, as with attach.',
      ) as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const params = spawnParams(argv, 'ccx run -- make test', ctx.host !== undefined);
      const timeoutMs = parseTimeout(argv.timeout);
      const conn = await ctx.connect();
      let info: StartResult;
      try {
        info = await conn.request('session.start', params);
      } catch (error) {
        const exitCode = spawnExitCode(error);
        if (exitCode === undefined) throw error;
        reportError(error, ctx.json);
        return exitCode;
      }
      if (ctx.json) jsonLine({ type: 'start', session: info });
      else if (info.nameTakenFrom) printNote(`the name ${info.name} now belongs to ${info.id}; the ended session ${info.nameTakenFrom} that had it keeps its id`);

      // Cancelling goes through the daemon, so the whole process tree ends the way `ccx cancel` ends it.
      let stopping: 'timeout' | 'interrupt' | undefined;
      const cancel = (force: boolean): void => {
        conn.request('session.cancel', { target: info.id, force }).catch(() => undefined);
      };
      const onSigint = (): void => {
        if (stopping === 'interrupt') return cancel(true);
        stopping = 'interrupt';
        if (!ctx.json) printNote(`cancelling session ${info.id} (Ctrl-C again to kill it)`);
        cancel(false);
      };
      process.on('SIGINT', onSigint);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setLongTimeout(() => {
              stopping ??= 'timeout';
              cancel(false);
            }, timeoutMs);

      const raw = argv.raw ?? (process.stdout.isTTY && !ctx.json);
      const text = raw ? undefined : new LiveText(true);
      const write = (chunk: string | Buffer, offset: number): boolean => {
        if (chunk.length === 0) return true;
        if (ctx.json) return jsonLine({ type: 'output', offset, text: chunk.toString() });
        return process.stdout.write(chunk);
      };
      const stdin = argv.stdin !== false;
      const stream = openOutputStream(conn, 'session.logs', { target: info.id, since: 0, follow: true, input: stdin }, {
        output: (data, offset) => write(text ? text.push(data) : data, offset),
        gap: (from, to) => {
          printNote(`output between offsets ${from} and ${to} was rotated out of the log before it could be printed`);
          if (text) write(text.gap(), to);
        },
      });
      process.stdout.on('drain', stream.resume);
      exitOnBrokenPipe(EXIT.ERROR);
      let input: StdinInput | undefined;
      const onResize = (): void => void conn.control({ t: 'resize', id: stream.id, cols: process.stdout.columns, rows: process.stdout.rows });
      if (stdin) {
        input = forwardStdin((data) => void conn.control({ t: 'input', id: stream.id, data: data.toString('base64') }));
        if (process.stdin.isTTY && process.stdout.isTTY) process.stdout.on('resize', onResize);
      }
      try {
        const end = await stream.done;
        if (text) write(text.end(), end.offset);
        const code = stopping === 'timeout' ? EXIT.TIMEOUT : sessionExitCode(end);
        if (ctx.json) jsonLine({ type: 'end', session: info.id, status: end.status, exitCode: end.exitCode, signal: end.signal, timedOut: stopping === 'timeout', code });
        else if (stopping === 'timeout') printNote(`timed out after ${timeoutMs! / 1000} s: session ${info.id} ${describeEnd(end)}`);
        return code;
      } finally {
        input?.stop();
        process.stdout.off('resize', onResize);
        timer?.dispose();
        process.off('SIGINT', onSigint);
      }
    }),
};

/** A program that could not be started exits as a shell reports it: 127 not found, 126 not executable. */
function spawnExitCode(error: unknown): number | undefined {
  if (!(error instanceof CcxError) || error.code !== 'E_SPAWN') return undefined;
  const errno = (error.details as { errno?: string } | undefined)?.errno;
  return errno === 'ENOENT' ? EXIT.COMMAND_NOT_FOUND : errno === 'EACCES' ? EXIT.NOT_EXECUTABLE : undefined;
}
