/**
 * Runs a command without loading yargs, whose start-up cost (~40 ms) would
 * dominate short commands like `ccx list`. The command modules stay the single
 * source of truth: their yargs `builder` is replayed against a recorder that
 * captures positionals and options, and node:util's parseArgs (strict) parses
 * argv with them. Anything unusual — help, version, completion, an unknown
 * command or option, a parse error — returns false, and the full yargs parser
 * handles it (and produces its usual messages).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandModule } from 'yargs';

export interface OptionSpec {
  type?: 'string' | 'boolean' | 'number' | 'count';
  array?: boolean;
  alias?: string | readonly string[];
  default?: unknown;
  choices?: readonly unknown[];
}

export interface RecordedCommand {
  options: Map<string, OptionSpec>;
  positionalTypes: Map<string, OptionSpec>;
  subcommands: CommandModule<any, any>[];
}

/** Collects what a yargs builder declares; every other builder call is a no-op. */
export function record(builder: CommandModule['builder']): RecordedCommand | undefined {
  const rec: RecordedCommand = { options: new Map(), positionalTypes: new Map(), subcommands: [] };
  if (builder === undefined) return rec;
  if (typeof builder !== 'function') return undefined;
  const recorder: any = new Proxy(
    {},
    {
      get(_target, prop) {
        if (prop === 'option' || prop === 'options') {
          return (name: string, spec: OptionSpec = {}) => (rec.options.set(name, spec), recorder);
        }
        if (prop === 'positional') return (name: string, spec: OptionSpec = {}) => (rec.positionalTypes.set(name, spec), recorder);
        if (prop === 'command') return (cmd: CommandModule<any, any>) => (rec.subcommands.push(cmd), recorder);
        if (prop === 'then') return undefined;
        return () => recorder;
      },
    },
  );
  try {
    builder(recorder);
  } catch {
    return undefined;
  }
  return rec;
}

interface Positional {
  name: string;
  required: boolean;
  variadic: boolean;
}

export function commandNames(mod: CommandModule<any, any>): { names: string[]; positionals: Positional[] } {
  const first = Array.isArray(mod.command) ? mod.command : [mod.command ?? ''];
  const [head = '', ...rest] = String(first[0]).split(/\s+/);
  const names = [head, ...first.slice(1).map((c) => String(c).split(/\s+/)[0]!)];
  const positionals = rest.map((token) => {
    const m = /^[<[]([^\].>]+)(\.\.)?[>\]]$/.exec(token)!;
    return { name: m[1]!, required: token.startsWith('<'), variadic: m[2] === '..' };
  });
  return { names, positionals };
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Returns true if it ran the command; false means: use yargs. */
export async function tryFastPath(commands: CommandModule<any, any>[], argv: string[], path: string[] = []): Promise<boolean> {
  const [name, ...rest] = argv;
  if (!name || name.startsWith('-')) return false;
  // Words after `--` are text or a program's argv (`ccx start -- python3 --help`), not ccx's options.
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (own.some((a) => a === '--help' || a === '-h' || a === '--version')) return false;
  const mod = commands.find((c) => commandNames(c).names.includes(name));
  if (!mod || !mod.handler) return false;
  const rec = record(mod.builder);
  if (!rec) return false;
  if (rec.subcommands.length) return tryFastPath(rec.subcommands, rest, [...path, name]);

  const dashdash = rest.indexOf('--');
  const before = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
  const after = dashdash >= 0 ? rest.slice(dashdash + 1) : undefined;

  const options: NonNullable<ParseArgsConfig['options']> = {};
  const negatable = new Map<string, string>();
  for (const [opt, spec] of rec.options) {
    if (spec.type === 'count') return false;
    const type = spec.type === 'boolean' ? 'boolean' : 'string';
    options[opt] = { type, multiple: !!spec.array };
    for (const alias of [spec.alias ?? []].flat()) {
      if (alias.length === 1) options[opt] = { ...options[opt]!, short: alias };
      else options[alias] = { type, multiple: !!spec.array };
    }
    if (type === 'boolean') {
      negatable.set(`no-${opt}`, opt);
      options[`no-${opt}`] = { type: 'boolean' };
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: before, options, strict: true, allowPositionals: true });
  } catch {
    return false;
  }

  const result: Record<string, unknown> = { _: [...path, name], $0: 'ccx' };
  for (const [opt, spec] of rec.options) {
    let value: unknown = parsed.values[opt];
    for (const alias of [spec.alias ?? []].flat()) if (alias.length > 1 && value === undefined) value = parsed.values[alias];
    if (parsed.values[`no-${opt}`]) value = false;
    if (value !== undefined && spec.type === 'number') {
      const nums = [value].flat().map(Number);
      if (nums.some((n) => Number.isNaN(n))) return false;
      value = spec.array ? nums : nums[0];
    }
    // A value outside `choices`: yargs says which ones are allowed.
    if (value !== undefined && spec.choices && [value].flat().some((v) => !spec.choices!.includes(v))) return false;
    if (value === undefined) value = spec.default;
    if (value === undefined) continue;
    result[opt] = value;
    result[camel(opt)] = value;
  }
  for (const [neg] of negatable) delete result[neg];

  const { positionals } = commandNames(mod);
  const given = [...parsed.positionals];
  for (const pos of positionals) {
    if (pos.variadic) {
      result[pos.name] = given.splice(0);
    } else if (given.length) {
      result[pos.name] = given.shift();
    } else if (pos.required) {
      return false;
    }
  }
  if (given.length) return false;
  if (after) result['--'] = after;
  await mod.handler(result as never);
  return true;
}
