import type { CommandModule } from 'yargs';
import { AGENT_KINDS, AGENT_PERMISSION_MODES, shellCommand } from '@ccx/shared';
import { parseDuration } from '../format.js';
import type { StartResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { printJson, printLine, printNote, usageError } from '../output.js';
import { spawnParams, withSpawnOptions, type SpawnArgs } from '../spawn-options.js';
import { parseTimeout, reportWaitFailure, runWait, waitExitCode, withTimeoutOption } from '../wait-options.js';

interface StartArgs extends SpawnArgs {
  reuse?: boolean;
  'wait-ready'?: boolean;
  timeout?: string;
  json?: boolean;
  agent?: (typeof AGENT_KINDS)[number];
  model?: string;
  'permission-mode'?: (typeof AGENT_PERMISSION_MODES)[number];
  'approval-timeout'?: string;
}

/** `--agent claude`: the structured-session part of session.start; the command defaults to `claude` from PATH. */
function agentParams(argv: StartArgs): { kind: (typeof AGENT_KINDS)[number]; model?: string; permissionMode?: (typeof AGENT_PERMISSION_MODES)[number]; approvalTimeoutMs?: number } | undefined {
  if (argv.agent === undefined) {
    for (const flag of ['model', 'permission-mode', 'approval-timeout'] as const) {
      if (argv[flag] !== undefined) throw usageError(`--${flag} goes with --agent claude`, `example: ccx start --name cc --agent claude --${flag} …`);
    }
    return undefined;
  }
  let approvalTimeoutMs: number | undefined;
  if (argv['approval-timeout'] !== undefined) {
    approvalTimeoutMs = parseDuration(String(argv['approval-timeout']));
    if (approvalTimeoutMs === undefined || approvalTimeoutMs < 1 || approvalTimeoutMs > 2_147_483_647) throw usageError(`--approval-timeout needs a duration, got: ${argv['approval-timeout']}`, 'e.g. 30s, 10m, 1h');
  }
  return { kind: argv.agent, model: argv.model, permissionMode: argv['permission-mode'], approvalTimeoutMs };
}

export const startCommand: CommandModule<object, StartArgs> = {
  command: 'start [cmd..]',
  describe: 'Start a program in a new background session',
  builder: (y) =>
    withSpawnOptions(withTimeoutOption(y))
      .option('reuse', { type: 'boolean', describe: 'with --name: return the running session of that name instead of failing' })
      .option('wait-ready', { type: 'boolean', describe: "wait until it is ready for input (the preset's ready pattern or prompt, else a quiet spell) before returning" })
      .option('json', { type: 'boolean', describe: 'print the session as JSON' })
      .option('agent', { type: 'string', choices: AGENT_KINDS, describe: "run Claude Code as a structured session (its stream-json protocol, no terminal); the command defaults to claude from PATH" })
      .option('model', { type: 'string', describe: 'with --agent: the model (claude --model)' })
      .option('permission-mode', { type: 'string', choices: AGENT_PERMISSION_MODES, describe: 'with --agent: claude --permission-mode; tool uses it asks about wait for ccx approve/deny' })
      .option('approval-timeout', { type: 'string', describe: 'with --agent: deny an unanswered approval request after this long (e.g. 10m); recorded as expired' })
      .example('$0 start --name cc --agent claude --permission-mode default', 'Claude Code as a structured session: send --wait prints its answer')
      .example('$0 start --name py -- python3 -q', 'start a Python REPL named py')
      .example('$0 start --name py --reuse --preset python --wait-ready --timeout 30 -- python3 -q', 'idempotent for cron: reuse py if it runs, and wait for >>>')
      .example('$0 start -- bash', 'start a shell; prints its id') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const agent = agentParams(argv);
      // A structured session runs claude from PATH unless a command is given.
      if (agent && !argv.cmd?.length && !argv['--']?.length) argv.cmd = ['claude'];
      const params = { ...spawnParams(argv, 'ccx start -- bash', ctx.host !== undefined), ...(agent ? { agent } : {}) };
      if (argv.timeout !== undefined && !argv['wait-ready']) throw usageError('--timeout goes with --wait-ready', 'example: ccx start --wait-ready --timeout 30 --preset python -- python3');
      if (argv.reuse && argv.name === undefined) throw usageError('--reuse needs --name: it reuses the running session of that name', 'example: ccx start --name py --reuse -- python3 -q');
      const readyTimeoutMs = parseTimeout(argv.timeout);
      const conn = await ctx.connect();
      const info = await conn.request('session.start', { ...params, reuse: argv.reuse });
      if (info.reused && shellCommand(info.command) !== shellCommand(params.command)) {
        printNote(`reused session ${info.name} (${info.id}), which runs ${shellCommand(info.command)}, not ${shellCommand(params.command)}`);
      }
      if (info.nameTakenFrom) printNote(`the name ${info.name} now belongs to ${info.id}; the ended session ${info.nameTakenFrom} that had it keeps its id`);
      let code = 0;
      if (argv['wait-ready'] && !agent) {
        // From offset 0: a reused session that is already at its prompt counts as ready at once.
        const outcome = await runWait(conn, { target: info.id, from: 0, ready: true, timeoutMs: readyTimeoutMs, preset: argv.preset });
        reportWaitFailure(outcome, ctx.json, 'the program to be ready');
        code = waitExitCode(outcome);
      }
      // The id is printed even when the wait failed, so a script can still cancel the session.
      if (ctx.json) printJson(info);
      else printLine(info.id);
      return code;
    }),
};
