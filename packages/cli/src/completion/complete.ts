/**
 * `ccx __complete WORD...`: the candidates for the last word of a command
 * line, one per line, for the shell scripts of `ccx completion`. It runs on
 * every Tab, so it loads neither yargs nor a daemon connection: commands and
 * options come from the command modules (the fast path's recorder), session
 * names and ids from the state dir's `sessions/<id>/meta.json` files. It
 * works, and starts nothing, when no daemon runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_PRESET_NAMES, currentPathEnv, resolvePaths } from '@ccx/shared';
import type { CommandModule } from 'yargs';
import { commandNames, record } from '../fast-path.js';

export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Words the parser knows besides the command modules. */
const EXTRA_COMMANDS = ['help'];

/** Names, then ids, of the sessions this home knows, read from disk (ended ones too: logs and rm take them). */
export function sessionTargets(sessionsDir = resolvePaths(currentPathEnv()).sessionsDir): string[] {
  let ids: string[];
  try {
    ids = readdirSync(sessionsDir);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const id of ids) {
    try {
      const meta = JSON.parse(readFileSync(join(sessionsDir, id, 'meta.json'), 'utf8')) as { name?: string | null };
      if (typeof meta.name === 'string') names.push(meta.name);
    } catch {
      // A session still being created, or one being removed: no name to offer.
    }
  }
  return [...names.sort(), ...ids.sort()];
}

/** The candidates for `words.at(-1)` (the word being typed, maybe empty), given the words before it. */
export function complete(commands: CommandModule<any, any>[], words: string[], targets: () => string[] = sessionTargets): string[] {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  if (before.includes('--')) return []; // a program's argv or send's text: the shell's own completion
  const candidates = candidatesFor(commands, before, current, targets);
  return candidates.filter((c) => c.startsWith(current));
}

function candidatesFor(commands: CommandModule<any, any>[], before: string[], current: string, targets: () => string[]): string[] {
  const [name, ...rest] = before;
  if (name === undefined) return [...new Set([...commands.flatMap((c) => commandNames(c).names), ...EXTRA_COMMANDS])].sort();
  if (name === 'help') return rest.length ? [] : commands.map((c) => commandNames(c).names[0]!).sort();
  if (name === 'completion') return rest.length ? [] : [...COMPLETION_SHELLS];
  const mod = commands.find((c) => commandNames(c).names.includes(name));
  const rec = mod && record(mod.builder);
  if (!mod || !rec) return [];
  if (rec.subcommands.length) {
    if (rest.length === 0) return rec.subcommands.map((c) => commandNames(c).names[0]!).sort();
    // Subcommands (daemon, hooks) take no session; their options only.
    const sub = rec.subcommands.find((c) => commandNames(c).names.includes(rest[0]!));
    const subRec = sub && record(sub.builder);
    return subRec && current.startsWith('-') ? optionWords(subRec.options) : [];
  }
  const previous = rest.at(-1);
  const option = previous?.startsWith('--') ? rec.options.get(previous.slice(2)) : undefined;
  // --preset: the built-in names (yours live in the daemon's config file, not read on a Tab).
  if (previous === '--preset') return [...BUILTIN_PRESET_NAMES].sort();
  if (option && option.type !== 'boolean') return (option.choices ?? []).map(String);
  if (current.startsWith('-')) return optionWords(rec.options);
  const takesSession = commandNames(mod).positionals[0]?.name;
  if (takesSession === 'id' || takesSession === 'ids') {
    // The first word that is not an option is the session (rm takes several).
    const given = rest.filter((w, i) => !w.startsWith('-') && !(rest[i - 1]?.startsWith('--') && rec.options.get(rest[i - 1]!.slice(2))?.type !== 'boolean'));
    if (given.length === 0 || takesSession === 'ids') return targets();
  }
  return [];
}

function optionWords(options: Map<string, { type?: string }>): string[] {
  return [...options.keys()].map((o) => `--${o}`).sort();
}
