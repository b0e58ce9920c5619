/**
 * `ccx send sh -- echo hi` and `ccx send py -- '-2*3' --wait`: for a command
 * whose words after `--` are text (send), `--` only says where the text
 * starts, so text that begins with `-` is not taken for an option. Options of
 * the command itself may still follow the text (the `--wait` above): a
 * trailing run of words that are all the command's own long options (with
 * their values) is moved before the `--`, so yargs and the fast path parse
 * the same argv. Only a trailing run counts, and only long names the command
 * declares, so `ccx send sh -- ls -la --color` stays text; a lone word after
 * `--` is always text.
 */
import type { CommandModule } from 'yargs';
import { commandNames, record, type OptionSpec } from './fast-path.js';

/** Commands whose words after `--` are text to type (not a program's argv, as for start/run). */
const TEXT_COMMANDS = new Set(['send']);

/** Returns argv with the command's trailing options hoisted before `--`; argv itself when nothing applies. */
export function hoistOptionsAfterText(commands: CommandModule<any, any>[], argv: string[]): string[] {
  const dashdash = argv.indexOf('--');
  if (dashdash < 0 || !TEXT_COMMANDS.has(argv[0] ?? '')) return argv;
  const mod = commands.find((c) => commandNames(c).names.includes(argv[0]!));
  const rec = mod && record(mod.builder);
  if (!rec) return argv;
  const longNames = new Map<string, OptionSpec>();
  for (const [name, spec] of rec.options) {
    longNames.set(name, spec);
    for (const alias of [spec.alias ?? []].flat()) if (alias.length > 1) longNames.set(alias, spec);
  }
  const after = argv.slice(dashdash + 1);
  for (let i = 1; i < after.length; i++) {
    if (allOptions(after.slice(i), longNames)) return [...argv.slice(0, dashdash), ...after.slice(i), '--', ...after.slice(0, i)];
  }
  return argv;
}

/** True when `words` is nothing but the command's long options, each with its value. */
function allOptions(words: string[], options: Map<string, OptionSpec>): boolean {
  for (let i = 0; i < words.length; i++) {
    const m = /^--(no-)?([a-z][a-z0-9-]*)(=.*)?$/.exec(words[i]!);
    if (!m) return false;
    const spec = options.get(m[2]!);
    if (!spec) return false;
    const isBoolean = spec.type === 'boolean';
    if (m[1] && !isBoolean) return false;
    if (!isBoolean && m[3] === undefined) {
      if (i + 1 >= words.length) return false;
      i++;
    }
  }
  return true;
}
