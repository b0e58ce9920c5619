import { CcxError, EXIT, exitCodeFor } from '@ccx/shared';
import { escapeControls } from './format.js';

/**
 * Prints one JSON document on stdout: the only thing `--json` puts there.
 * Indented for a person on a terminal; one compact line into a pipe or file,
 * so a log holds one document per line (as `gh` does).
 */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, process.stdout.isTTY ? 2 : undefined) + '\n');
}

export function printLine(text = ''): void {
  process.stdout.write(text + '\n');
}

/** A remark on stderr that is not an error (stdout stays the program's output). */
export function printNote(text: string): void {
  process.stderr.write(`ccx: ${escapeControls(text)}\n`);
}

/**
 * A reader that went away (`ccx logs -f | head`) ends the command with `code`
 * instead of an EPIPE error. Runs before the general handler of
 * `exitQuietlyOnClosedPipes`, so the command's own code wins.
 */
export function exitOnBrokenPipe(code: number): void {
  process.stdout.prependListener('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(code);
  });
}

/**
 * Every command: a closed stdout (`ccx daemon status | head -3`) ends the
 * process quietly, as SIGPIPE ends a C program, with the code the command has
 * set so far (0 if none), instead of an unhandled EPIPE stack trace. A closed
 * stderr is ignored: nobody is left to read the message, and the command
 * still ends with its own exit code. Other stdout errors are still thrown.
 */
export function exitQuietlyOnClosedPipes(): void {
  // EIO: the terminal went away (its session was cancelled), as good as closed.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
  // Nothing can be reported on a stderr that cannot be written; rethrowing made
  // a foreground `ccx daemon run` whose terminal was gone log (and echo) each
  // uncaught EIO again, spinning a core.
  process.stderr.on('error', () => {});
}

/**
 * Reports an error on stderr — never stdout, so `--json` output stays
 * parseable — and returns the exit code it maps to.
 */
export function reportError(error: unknown, json: boolean): number {
  const ccx =
    error instanceof CcxError
      ? error
      : new CcxError('E_INTERNAL', error instanceof Error ? error.message : String(error), 'this is a bug in ccx; please report it with the output of: ccx daemon logs');
  if (json) {
    process.stderr.write(JSON.stringify({ error: ccx.toPayload() }) + '\n');
  } else {
    // Messages quote what the user or a program gave (a session name, a path): never raw control characters.
    process.stderr.write(`ccx: ${escapeControls(ccx.message)} [${ccx.code}]\n`);
    if (ccx.hint) process.stderr.write(`hint: ${escapeControls(ccx.hint)}\n`);
  }
  return exitCodeFor(ccx.code);
}

export function usageError(message: string, hint?: string): CcxError {
  return new CcxError('E_USAGE', message, hint);
}

export { EXIT };
