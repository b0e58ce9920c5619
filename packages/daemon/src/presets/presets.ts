/**
 * The presets code: the built-in presets, the defaults, and the user's
 * presets from the config file resolved over them. Only the daemon uses it;
 * the `Preset` type (the `presets.list` result) and the built-in names stay
 * in shared.
 */
import { CcxError, keyBytes, type BuiltinPresetName, type Preset, type PresetFields } from '@ccx/shared';

/** What a session without a preset gets. */
export const DEFAULT_PRESET_FIELDS: PresetFields = {
  prompt: null,
  echoPrompt: null,
  ready: null,
  idleMs: 1_000,
  enterDelayMs: 150,
  interruptKey: 'C-c',
  approveKey: null,
  denyKey: null,
  answer: 'output',
  draws: 'lines',
  inputBox: null,
  chrome: null,
  messageMark: null,
};

export const BUILTIN_PRESETS: Readonly<Record<BuiltinPresetName, Preset>> = {
  shell: {
    name: 'shell',
    description: 'bash, zsh, sh: a prompt ending in $, #, % or ❯ and a space, or a line that is only PS2 "> "',
    ...DEFAULT_PRESET_FIELDS,
    // "> " counts only as a whole line (PS2): ending in it, "Enter value> " is a program asking for input, not the shell.
    prompt: '[$#%❯] $|^> $',
    echoPrompt: '^> ',
    enterDelayMs: 50,
  },
  python: {
    name: 'python',
    description: 'the Python REPL: >>> and ... prompts',
    ...DEFAULT_PRESET_FIELDS,
    prompt: '^(>>>|\\.\\.\\.) ?$',
    echoPrompt: '^(>>>|\\.\\.\\.) ',
    enterDelayMs: 50,
  },
  claude: {
    name: 'claude',
    description: 'Claude Code (TUI): turns from its state file; Escape interrupts; prints the answer it drew on the screen',
    ...DEFAULT_PRESET_FIELDS,
    // Claude Code 2.1 draws its input line as `❯` and its footer as "shift+tab to cycle"; older ones `>` and "? for shortcuts".
    ready: '\\? for shortcuts|shift\\+tab to cycle|^\\s*[│|]?\\s*[>❯](\\s|$)',
    idleMs: 3_000,
    enterDelayMs: 300,
    interruptKey: 'Escape',
    // Its dialog: "❯ 1. Yes … 4. No · Esc to cancel".
    approveKey: '1',
    denyKey: 'Escape',
    answer: 'output',
    // It draws with cursor moves: the line-based text keeps only some answers (issue 14 B.4).
    draws: 'screen',
    // Its input box: a rule, then the `❯` line (older versions: `>`).
    inputBox: '^─{10,}\\n\\s*[>❯]',
    // Its spinner and timing lines ("✻ Worked for 0s · done 10:44 PM", "✽ Vibing… (3s) · esc to interrupt"), the tip under
    // the spinner ("⎿  Tip: …") and its effort line ("◐ medium · /effort", right-aligned).
    chrome: '^[·✢✳✶✻✽*] \\S+(…| for \\d)|^\\s*⎿\\s+Tip: |^\\s{10,}\\S.* · /effort$',
    messageMark: '^● ',
  },
  codex: {
    name: 'codex',
    description: 'Codex CLI (TUI): answered after 3 s of quiet; Escape interrupts; prints the answer it drew on the screen',
    ...DEFAULT_PRESET_FIELDS,
    // Codex 0.171 shows "? for shortcuts" under its `›` input line once it takes input.
    ready: 'context left|⏎ send|for shortcuts',
    idleMs: 3_000,
    enterDelayMs: 300,
    interruptKey: 'Escape',
    answer: 'output',
    // It writes its history above an inline viewport it redraws: answers are read from the screen and scrollback.
    draws: 'screen',
    // Its input line: "› Ask Codex to do anything" (the echo of a prompt, "› say hi", is taken off before).
    inputBox: '^› ',
    // "Worked for <1s • 23:03" under an answer, "• Working (3s • esc to interrupt)" during a turn, "└ Tip: …" under it.
    chrome: '^\\s*Worked for .* • |^[•◦] Working \\(|esc to interrupt\\)$|^\\s*└ Tip: ',
    messageMark: '^• ',
  },
};

const PRESET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The built-in presets plus the user's, from the `presets` value of the
 * config file (read by the daemon's config reader; `configFile` only names it
 * in errors). A user preset named like a built-in one changes only the fields
 * it gives; `extends` starts a new one from another preset.
 */
export function resolvePresets(userPresets: unknown, configFile: string): Record<string, Preset> {
  const presets: Record<string, Preset> = { ...BUILTIN_PRESETS };
  const user = validateUserPresets(userPresets, configFile);
  const pending = new Map(Object.entries(user));
  // Resolve in dependency order so `extends` may name a user preset defined later in the file.
  while (pending.size > 0) {
    let progressed = false;
    for (const [name, spec] of pending) {
      const base = spec.extends ?? (Object.hasOwn(BUILTIN_PRESETS, name) ? name : undefined);
      if (base !== undefined && base !== name && pending.has(base)) continue;
      if (base !== undefined && !Object.hasOwn(presets, base)) {
        throw configError(configFile, `preset ${name} extends unknown preset ${base}`);
      }
      const from = base !== undefined ? presets[base]! : { name, description: '', ...DEFAULT_PRESET_FIELDS };
      const { extends: _ignored, ...fields } = spec;
      presets[name] = { ...from, description: `user preset${base ? ` (from ${base})` : ''}`, ...fields, name };
      pending.delete(name);
      progressed = true;
    }
    if (!progressed) throw configError(configFile, `presets extend each other in a cycle: ${[...pending.keys()].join(', ')}`);
  }
  return presets;
}

/** Looks a preset up by name; unknown names are a usage error listing the known ones. */
export function findPreset(presets: Record<string, Preset>, name: string): Preset {
  if (Object.hasOwn(presets, name)) return presets[name]!;
  throw new CcxError('E_USAGE', `unknown preset: ${name}`, `known presets: ${Object.keys(presets).join(', ')} (user presets go in the config file; see ccx presets)`);
}

type UserPreset = Partial<Omit<Preset, 'name'>> & { extends?: string };

function validateUserPresets(userPresets: unknown, configFile: string): Record<string, UserPreset> {
  if (userPresets === undefined) return {};
  if (!isObject(userPresets)) throw configError(configFile, '"presets" must be an object of name → preset');
  const out: Record<string, UserPreset> = {};
  for (const [name, raw] of Object.entries(userPresets)) {
    if (!PRESET_NAME.test(name)) throw configError(configFile, `bad preset name ${JSON.stringify(name)}: letters, digits, ".", "_", "-"`);
    out[name] = validateUserPreset(configFile, name, raw);
  }
  return out;
}

function validateUserPreset(configFile: string, name: string, raw: unknown): UserPreset {
  if (!isObject(raw)) throw configError(configFile, `preset ${name} must be an object`);
  const fail = (field: string, want: string): never => {
    throw configError(configFile, `preset ${name}: "${field}" must be ${want}`);
  };
  const out: UserPreset = {};
  for (const [field, value] of Object.entries(raw)) {
    switch (field) {
      case 'extends':
      case 'description':
        if (typeof value !== 'string') fail(field, 'a string');
        out[field] = value as string;
        break;
      case 'prompt':
      case 'echoPrompt':
      case 'ready':
      case 'inputBox':
      case 'chrome':
      case 'messageMark':
        if (value !== null && typeof value !== 'string') fail(field, 'a regular expression (string) or null');
        if (typeof value === 'string') {
          try {
            new RegExp(value, 'm');
          } catch (error) {
            fail(field, `a valid regular expression (${(error as Error).message})`);
          }
        }
        out[field] = value as string | null;
        break;
      case 'idleMs':
      case 'enterDelayMs':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 600_000) fail(field, 'an integer number of ms (0–600000)');
        out[field] = value as number;
        break;
      case 'interruptKey':
        if (typeof value !== 'string') fail(field, 'a key name such as "C-c" or "Escape"');
        try {
          keyBytes(value as string);
        } catch {
          fail(field, 'a key name such as "C-c" or "Escape"');
        }
        out.interruptKey = value as string;
        break;
      case 'approveKey':
      case 'denyKey':
        if (value !== null && typeof value !== 'string') fail(field, 'a key name such as "1" or "Escape", or null');
        if (typeof value === 'string') {
          try {
            keyBytes(value);
          } catch {
            fail(field, 'a key name such as "1" or "Escape", or null');
          }
        }
        out[field] = value as string | null;
        break;
      case 'answer':
        if (value !== 'output' && value !== 'screen') fail(field, '"output" or "screen"');
        out.answer = value as 'output' | 'screen';
        break;
      case 'draws':
        if (value !== 'lines' && value !== 'screen') fail(field, '"lines" or "screen"');
        out.draws = value as 'lines' | 'screen';
        break;
      default:
        throw configError(configFile, `preset ${name}: unknown field "${field}"`);
    }
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function configError(configFile: string, message: string): CcxError {
  return new CcxError('E_USAGE', `config file ${configFile}: ${message}`, 'fix the file; see "Presets" in the README for the format');
}
