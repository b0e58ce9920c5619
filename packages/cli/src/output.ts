import { CcxError, EXIT, exitCodeFor } from '@ccx/shared';
import { escapeControls } from './format.js';

/** Prints one JSON document on stdout: the only thing `--json` puts there. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLine(text = ''): void {
  process.stdout.write(text + '\n');
}

/** A remark on stderr that is not an error (stdout stays the program's output). */
export function printNote(text: string): void {
  process.stderr.write(`ccx: ${escapeControls(text)}\n`);
}

/** A reader that went away (`ccx logs -f | head`) ends the command with `code` instead of an EPIPE error. */
export function exitOnBrokenPipe(code: number): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(code);
  });
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
