import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { CcxError } from '@ccx/shared';

/**
 * Checks what node-pty cannot report well: a fork that fails to exec only
 * shows up as an early exit. Checking first lets `ccx start` fail with a
 * precise E_SPAWN and a hint.
 */
export function checkCwd(cwd: string): void {
  let isDir = false;
  try {
    isDir = statSync(cwd).isDirectory();
  } catch {
    throw new CcxError('E_SPAWN', `working directory does not exist: ${cwd}`, 'pass an existing directory with --cwd');
  }
  if (!isDir) throw new CcxError('E_SPAWN', `working directory is not a directory: ${cwd}`, 'pass a directory with --cwd');
}

/**
 * `details` of the E_SPAWN errors below: the errno execvp would have failed
 * with, so `run` can exit 127 / 126 as a shell does.
 */
export type SpawnErrorDetails = { errno: 'ENOENT' | 'EACCES' };
const NOT_FOUND: SpawnErrorDetails = { errno: 'ENOENT' };
const NOT_EXECUTABLE: SpawnErrorDetails = { errno: 'EACCES' };

/** Resolves the program the way execvp would, relative to the session's cwd and PATH. */
export function resolveExecutable(command: string, cwd: string, path: string | undefined): string {
  if (command.includes('/')) {
    const full = isAbsolute(command) ? command : resolve(cwd, command);
    assertExecutable(full, command);
    return full;
  }
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(isAbsolute(dir) ? dir : resolve(cwd, dir), command);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new CcxError(
    'E_SPAWN',
    `command not found: ${command}`,
    `check the spelling, or give its full path; PATH was ${path ?? '(unset)'}`,
    NOT_FOUND,
  );
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function assertExecutable(file: string, shown: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new CcxError('E_SPAWN', `command not found: ${shown}`, `no file at ${file}`, NOT_FOUND);
  }
  if (!st.isFile()) throw new CcxError('E_SPAWN', `not a file: ${shown}`, 'give the path of a program', NOT_EXECUTABLE);
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new CcxError('E_SPAWN', `permission denied: ${shown} is not executable`, `run: chmod +x ${file}`, NOT_EXECUTABLE);
  }
}
