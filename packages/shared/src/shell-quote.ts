/**
 * Quoting for hints that show a command to paste into a POSIX shell: a hint
 * that printed `ccx start -- bash -c read x; exit 5` unquoted would run
 * `exit 5` in the user's shell.
 */

/** Words made only of these need no quotes in sh, bash, zsh or fish. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word as the shell reads it back: as is when safe, else in single quotes (a `'` inside becomes `'\''`). */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one line to paste: each word quoted as needed. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
