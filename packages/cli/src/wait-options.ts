import type { Argv } from 'yargs';
import { CcxError, EXIT, type ParamsOf, type WaitResult } from '@ccx/shared';
import type { DaemonConnection } from './client/ipc-client.js';
import { describeEnd, signalExitCode } from './client/output-stream.js';
import { parseDuration } from './format.js';
import { printNote, reportError, usageError } from './output.js';

/** The wait options `wait`, `send --wait` and `start --wait-ready` share. */
export interface WaitArgs {
  until?: string[];
  'until-text'?: string[];
  screen?: boolean;
  idle?: number;
  exit?: boolean;
  timeout?: string;
  preset?: string;
}

export type PrintMode = 'output' | 'screen' | 'none';
export const PRINT_MODES: readonly PrintMode[] = ['output', 'screen', 'none'];

/** How long past its own deadline the CLI waits for the daemon to report a timeout before giving up on it. */
const DAEMON_GRACE_MS = 15_000;

/** The wait conditions and --timeout (`wait`, `send`). */
export function withWaitOptions<T>(y: Argv<T>): Argv<T> {
  return withTimeoutOption(
    y
      .option('until', { type: 'string', array: true, describe: 'wait until this regex (JavaScript, multiline) matches the new output as plain text; repeatable: the first to match wins (--json: match.index)' })
      .option('until-text', { type: 'string', array: true, describe: 'wait until this exact text appears (no regex); repeatable, counted after the --until ones' })
      .option('screen', { type: 'boolean', describe: 'match --until/--until-text against the rendered screen instead (`wait` checks the screen as it is first)' })
      .option('idle', { type: 'number', describe: 'wait until the program has been quiet this many ms (after its output began)' })
      .option('exit', { type: 'boolean', describe: 'wait until the program exits; exit with its code' }) as Argv<T>,
  );
}

/** --timeout alone (`start --wait-ready`). */
export function withTimeoutOption<T>(y: Argv<T>): Argv<T> {
  return y.option('timeout', { type: 'string', describe: 'give up after this long (seconds, or 500ms/30s/5m/1h/2d; any length) and exit 124; default: no limit' }) as Argv<T>;
}

/** The `timeout` option in ms, or undefined. */
export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(String(text));
  if (ms === undefined) throw usageError(`--timeout needs a duration, got: ${text}`, 'seconds (10, 2.5) or with a unit: 500ms, 30s, 5m, 1h, 2d');
  // Longer than any timer can count (about 285,000 years): no limit.
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The condition parameters of `session.wait` given on the command line. */
export function waitConditionParams(argv: WaitArgs): { until?: string[]; untilText?: string[]; screen?: boolean; idleMs?: number; exit?: boolean; timeoutMs?: number; preset?: string } {
  if (argv.idle !== undefined && !(Number.isInteger(argv.idle) && argv.idle >= 0)) throw usageError(`--idle needs a whole number of ms ≥ 0, got ${argv.idle}`);
  const until = argv.until?.map(String);
  const untilText = argv['until-text']?.map(String);
  if (until?.some((u) => u.length === 0) || untilText?.some((u) => u.length === 0)) throw usageError('--until and --until-text need something to look for, got an empty string');
  if (argv.screen && until === undefined && untilText === undefined) throw usageError('--screen says where --until looks; give --until or --until-text too', "example: --until 'Done' --screen");
  return {
    until: until?.length ? until : undefined,
    untilText: untilText?.length ? untilText : undefined,
    screen: argv.screen,
    idleMs: argv.idle,
    exit: argv.exit,
    timeoutMs: parseTimeout(argv.timeout),
    preset: argv.preset,
  };
}

/** True when any option that only makes sense when waiting was given. */
export function wantsWait(argv: WaitArgs & { print?: string }): boolean {
  return argv.until !== undefined || argv['until-text'] !== undefined || argv.idle !== undefined || argv.exit !== undefined || argv.timeout !== undefined || argv.print !== undefined || argv.screen !== undefined;
}

/** The daemon keeps the deadline; the CLI's own only guards against a daemon that stopped answering. */
export function backstopFor(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : timeoutMs + DAEMON_GRACE_MS;
}

/** Runs a `session.wait` stream to its end. */
export function runWait(conn: DaemonConnection, params: ParamsOf<'session.wait'>): Promise<WaitResult> {
  return conn.stream('session.wait', params, () => {}, backstopFor(params.timeoutMs)).done;
}

/**
 * Exit code for a finished wait: 0 when the condition was met, the
 * program's own code when it was its exit (128+N for signal N), 124 on
 * timeout, 125 when the session ended while waiting for something else.
 */
export function waitExitCode(result: WaitResult): number {
  switch (result.reason) {
    case 'timeout':
      return EXIT.TIMEOUT;
    case 'ended':
      return EXIT.SESSION_ENDED;
    case 'exit':
      if (result.exitCode !== null) return result.exitCode;
      return (result.signal ? signalExitCode(result.signal) : undefined) ?? EXIT.SESSION_ENDED;
    default:
      return EXIT.OK;
  }
}

/** Says on stderr why a wait did not succeed (a timeout, or the session ending). */
export function reportWaitFailure(result: WaitResult, json: boolean, what: string): void {
  let error: CcxError | undefined;
  if (result.reason === 'timeout') {
    error = new CcxError('E_TIMEOUT', `timed out after ${(result.elapsedMs / 1000).toFixed(1)} s waiting for ${what}`, 'give it longer with --timeout, or look at it: ccx screen ' + result.session);
  } else if (result.reason === 'ended') {
    error = new CcxError('E_NOT_RUNNING', `session ${result.session} ${describeEnd(result)} while waiting for ${what}`, `its output: ccx logs ${result.session}`);
  }
  if (error) reportError(error, json);
  // Met, but not done: the agent stopped to ask (exit 0; --json says reason "waiting").
  if (result.reason === 'waiting' && !json) printNote(`session ${result.session} is waiting for an answer (a permission dialog): ccx approve ${result.session} or ccx deny ${result.session}`);
}

/** Prints what the wait captured: the daemon fills in only the one asked for (answer text or screen), or neither. */
export function printCaptured(result: WaitResult): void {
  if (result.truncated) printNote(`the answer was longer than a wait keeps (256 Ki characters): only its end is printed; all of it: ccx logs ${result.session} --since ${result.from}`);
  const text = result.output ?? result.screen;
  if (!text) return;
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** A short description of what was waited for, for messages. */
export function describeWait(params: { until?: string[]; untilText?: string[]; screen?: boolean; idleMs?: number; exit?: boolean; ready?: boolean }): string {
  const parts: string[] = [];
  const where = params.screen ? ' on the screen' : '';
  for (const u of params.until ?? []) parts.push(`/${u}/${where}`);
  for (const u of params.untilText ?? []) parts.push(`${JSON.stringify(u)}${where}`);
  if (params.idleMs !== undefined) parts.push(`${params.idleMs} ms of quiet`);
  if (params.exit) parts.push('the exit');
  if (params.ready) parts.push('the ready prompt');
  return parts.length ? parts.join(' or ') : 'the answer';
}
