import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, usageError } from '../output.js';
import { describeWait, PRINT_MODES, printCaptured, reportWaitFailure, runWait, waitConditionParams, waitExitCode, withWaitOptions, type PrintMode, type WaitArgs } from '../wait-options.js';

interface WaitCommandArgs extends WaitArgs {
  id: string;
  from?: string;
  print?: PrintMode;
  json?: boolean;
}

/** `--from`: `now`, or an output offset as `send --json` reports it; absent: the daemon's input mark. */
function parseFrom(text: string | undefined): number | 'now' | undefined {
  if (text === undefined || text === 'now') return text;
  const offset = Number(text);
  if (!Number.isSafeInteger(offset) || offset < 0) throw usageError(`--from needs "now" or a byte offset ≥ 0, got: ${text}`, 'offsets come from send --json ("offset") or screen --json');
  return offset;
}

export const waitCommand: CommandModule<object, WaitCommandArgs> = {
  command: 'wait <id>',
  describe: 'Wait until a session has answered: a regex matches, it goes quiet, or it exits',
  builder: (y) =>
    withWaitOptions(
      y
        .positional('id', SESSION_ID_ARG)
        .option('from', { type: 'string', describe: 'read output from this byte offset (from send --json / wait --json), or "now"; default: where the last send wrote (past the answer a send --wait returned)' })
        .option('preset', { type: 'string', describe: "preset whose prompt / idle time to use when no condition is given (default: the session's)" })
        .option('print', { type: 'string', choices: PRINT_MODES, describe: 'print the new output as text, or the screen, when done (default: none)' })
        .option('json', { type: 'boolean', describe: 'print the outcome (reason, match, offsets, exit code) as JSON' }),
    )
      .example('$0 wait build --exit --timeout 10m', "wait for the program to end; exit with its code")
      .example("$0 wait sh --until '^DONE$' --timeout 60", 'wait for a line DONE in new output')
      .example('$0 wait agent --idle 5000', 'wait for 5 s of quiet after output began')
      .example("$0 send sh 'make'; $0 wait sh --until-text 'error:' --until-text 'Build OK' --json", 'as pexpect: output since the send counts; match.index says which one')
      .epilogue(
        'Waits in two stages: first for output to begin after the mark (where the last send wrote, --from, or now), then for a condition; ' +
          "several conditions: the first met wins. With none given, the preset's prompt (or its idle time, 1000 ms without a preset). " +
          'Exit codes: 0 met, 124 timed out, the program\'s code with --exit (128+N for signal N), 125 the session ended while waiting for something else.',
      ) as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const params = { target: argv.id, from: parseFrom(argv.from), ...waitConditionParams(argv), capture: argv.print ?? 'none' };
      const conn = await ctx.connect();
      const result = await runWait(conn, params);
      if (ctx.json) printJson(result);
      else printCaptured(result);
      reportWaitFailure(result, ctx.json, describeWait(params));
      return waitExitCode(result);
    }),
};
