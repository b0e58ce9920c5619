import type { CommandModule } from 'yargs';
import { EXIT, type CancelResult, type SessionInfo } from '@ccx/shared';
import { describeEnd, openOutputStream, sessionExitCode } from '../client/output-stream.js';
import { runCommand } from '../context.js';
import { exitOnBrokenPipe, printNote } from '../output.js';
import { LiveText } from '../text/live-text.js';
import { parseTimeout } from '../wait-options.js';
import { spawnParams, withSpawnOptions, type SpawnArgs } from '../spawn-options.js';

interface RunArgs extends SpawnArgs {
  timeout?: string;
  raw?: boolean;
  json?: boolean;
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
      .option('timeout', { type: 'string', describe: 'cancel the program after this long (seconds, or 30s/5m/1h) and exit 124' })
      .option('raw', { type: 'boolean', describe: 'the exact bytes the program wrote (the default when stdout is a terminal); otherwise plain text' })
      .option('json', { type: 'boolean', describe: 'JSON lines: {"type":"start"}, {"type":"output","text"}..., {"type":"end","exitCode"}' })
      .example("$0 run -- make test", 'run make in a session; exit with its code')
      .example("$0 run --name nightly --timeout 30m -- ./backup.sh", 'from cron: output to the cron mail, the log kept in ccx')
      .epilogue(
        'The session stays listed (ccx list --all) with its output log. Ctrl-C (SIGINT) cancels the session; a second one kills it. ' +
          'Exit code: the program\'s, 128+N if signal N ended it, 124 after --timeout. The program gets no standard input.',
      ) as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const params = spawnParams(argv, 'ccx run -- make test');
      const timeoutMs = parseTimeout(argv.timeout);
      const conn = await ctx.connect();
      const info = await conn.request<SessionInfo>('session.start', params);
      if (ctx.json) jsonLine({ type: 'start', session: info });

      // Cancelling goes through the daemon, so the whole process tree ends the way `ccx cancel` ends it.
      let stopping: 'timeout' | 'interrupt' | undefined;
      const cancel = (force: boolean): void => {
        conn.request<CancelResult>('session.cancel', { target: info.id, force }).catch(() => undefined);
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
          : setTimeout(() => {
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
      const stream = openOutputStream(conn, 'session.logs', { target: info.id, since: 0, follow: true }, {
        output: (data, offset) => write(text ? text.push(data) : data, offset),
        gap: (from, to) => {
          printNote(`output between offsets ${from} and ${to} was rotated out of the log before it could be printed`);
          if (text) write(text.gap(), to);
        },
      });
      process.stdout.on('drain', stream.resume);
      exitOnBrokenPipe(EXIT.ERROR);
      try {
        const end = await stream.done;
        if (text) write(text.end(), end.offset);
        const code = stopping === 'timeout' ? EXIT.TIMEOUT : sessionExitCode(end);
        if (ctx.json) jsonLine({ type: 'end', session: info.id, status: end.status, exitCode: end.exitCode, signal: end.signal, timedOut: stopping === 'timeout', code });
        else if (stopping === 'timeout') printNote(`timed out after ${timeoutMs! / 1000} s: session ${info.id} ${describeEnd(end)}`);
        return code;
      } finally {
        clearTimeout(timer);
        process.off('SIGINT', onSigint);
      }
    }),
};
