import { CcxError, shellQuote } from '@ccx/shared';
import { destination, type HostTarget } from './host-spec.js';

/**
 * Splits `CCX_SSH_COMMAND` into words the way a POSIX shell would for a
 * simple command (git runs `GIT_SSH_COMMAND` through `sh -c`): blanks
 * separate words; single quotes, double quotes and backslashes quote.
 * No expansion is done, so nothing here runs a shell.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CcxError('E_USAGE', `CCX_SSH_COMMAND has an unclosed ${quote}: ${line}`, 'quote it as for sh, e.g. CCX_SSH_COMMAND="ssh -i ~/.ssh/ccx"');
  if (inWord) words.push(word);
  return words;
}

/**
 * The ssh invocation for a host: `$CCX_SSH_COMMAND` (default `ssh`), no
 * prompts when no terminal could answer them (BatchMode), no remote tty
 * (the pipe carries binary frames), the port, `--` so a destination can
 * never be read as an option, then `ccx daemon dial-stdio` on the far side.
 */
export function sshInvocation(target: HostTarget, env: NodeJS.ProcessEnv, interactive: boolean): { file: string; args: string[] } {
  const base = splitCommandLine(env.CCX_SSH_COMMAND?.trim() || 'ssh');
  if (base.length === 0) throw new CcxError('E_USAGE', 'CCX_SSH_COMMAND is empty', 'unset it to use ssh, or give a command such as "ssh -i ~/.ssh/ccx"');
  const [file, ...opts] = base as [string, ...string[]];
  const args = [...opts, ...(interactive ? [] : ['-o', 'BatchMode=yes']), '-T', ...(target.port ? ['-p', String(target.port)] : []), '--', destination(target), `${shellQuote(target.ccxPath)} daemon dial-stdio`];
  return { file, args };
}

/** What to run by hand on the far side (the ssh command line of a hint); without `ccxArgs`, `true`: does ssh get there at all. */
export function remoteCommandHint(target: HostTarget, ccxArgs?: string): string {
  const command = ccxArgs === undefined ? ['true'] : [shellQuote(target.ccxPath), ccxArgs];
  return ['ssh', ...(target.port ? ['-p', String(target.port)] : []), destination(target), ...command].join(' ');
}
