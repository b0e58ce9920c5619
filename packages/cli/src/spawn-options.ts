import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { WINDOW_SIZE_POLICIES, type WindowSizePolicy } from '@ccx/shared';
import { usageError } from './output.js';

/** Options every command that creates a session takes (`start`, `run`). */
export interface SpawnArgs {
  name?: string;
  cwd?: string;
  env?: string[];
  preset?: string;
  cols?: number;
  rows?: number;
  'window-size'?: WindowSizePolicy;
  '--'?: string[];
  cmd?: string[];
}

export function withSpawnOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .positional('cmd', { type: 'string', array: true, describe: 'program and arguments, after --' })
    .option('name', { type: 'string', describe: 'unique name for the session' })
    .option('cwd', { type: 'string', describe: 'working directory (default: the current one)' })
    .option('env', { type: 'string', array: true, describe: 'extra environment variable KEY=VALUE (repeatable)' })
    .option('cols', { type: 'number', describe: "terminal width (default: this terminal's)" })
    .option('rows', { type: 'number', describe: "terminal height (default: this terminal's)" })
    .option('window-size', { type: 'string', choices: WINDOW_SIZE_POLICIES, describe: 'how attached clients size the window, as tmux: latest (the last to attach, type or resize), smallest, largest, manual (only ccx resize); default: config windowSize, else latest' })
    .option('preset', { type: 'string', describe: 'how to drive the program: shell, python, claude, codex, or one of yours (see ccx presets)' }) as Argv<T>;
}

export function parseEnvPairs(pairs: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--env needs KEY=VALUE, got: ${pair}`, 'example: --env FOO=bar');
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/**
 * The `session.start` params for these options. The program gets this
 * shell's environment (plus --env), as if it had been started here, and the
 * terminal's size when there is one. For a daemon on another machine
 * (`remote`) this machine's environment and directory mean nothing: the
 * program gets the far daemon's environment plus --env, and the far
 * daemon's directory unless --cwd names one there.
 */
export function spawnParams(argv: SpawnArgs, example: string, remote = false) {
  const command = [...(argv.cmd ?? []), ...(argv['--'] ?? [])].map(String);
  if (command.length === 0) throw usageError('no command given', `put the command after --, e.g.: ${example}`);
  return {
    command,
    name: argv.name,
    ...(remote
      ? { cwd: argv.cwd, env: parseEnvPairs(argv.env), inheritDaemonEnv: true }
      : { cwd: resolve(argv.cwd ?? '.'), env: { ...(process.env as Record<string, string>), ...parseEnvPairs(argv.env) } }),
    cols: argv.cols ?? (process.stdout.isTTY ? process.stdout.columns : undefined),
    rows: argv.rows ?? (process.stdout.isTTY ? process.stdout.rows : undefined),
    preset: argv.preset,
    windowSize: argv['window-size'],
    // The program creates files as it would from this shell. (umask() only reads here: the value it sets is the one it returns.)
    umask: process.platform === 'win32' ? undefined : process.umask(),
  };
}
