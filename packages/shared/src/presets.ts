/**
 * How to drive one kind of program: when it waits for input, how long a quiet
 * spell means it has answered, how to submit and how to interrupt. Regexes
 * are JavaScript source, compiled with the `m` flag.
 */
export interface Preset {
  name: string;
  description: string;
  /** Matches the last line of plain output when the program waits for input (`>>> `); null: unknown. */
  prompt: string | null;
  /**
   * Matches a prompt the program prints before the echo of each further line
   * of a multi-line send (python's `... `, a shell's PS2 `> `): removed from
   * answers with the echo. null: none.
   */
  echoPrompt: string | null;
  /** Matches the rendered screen once the program is ready for input (`start --wait-ready`); null: use `prompt`. */
  ready: string | null;
  /** Quiet time that counts as "answered" when there is no prompt to look for. */
  idleMs: number;
  /** Pause between pasted text and its Enter. */
  enterDelayMs: number;
  /** Key `ccx interrupt` sends (a `send --key` name). */
  interruptKey: string;
  /** Key `ccx approve` presses in the program's permission dialog; null: the program has none ccx knows. */
  approveKey: string | null;
  /** Key `ccx deny` presses in it. */
  denyKey: string | null;
  /** What `send --wait` prints by default: the new output as text, or the rendered screen (TUIs). */
  answer: 'output' | 'screen';
  /**
   * How the program writes: `lines` (the output text is what it said) or
   * `screen` (a TUI that draws with cursor moves: `wait --until` and answers
   * read the rendered screen and its scrollback, what is new there since the mark).
   */
  draws: 'lines' | 'screen';
  /** With `draws: screen`: matches the top of the program's input box (everything from its last match down is not the answer); null: none. */
  inputBox: string | null;
  /** With `draws: screen`: matches whole lines that are the program's chrome (spinners, timings), dropped from answers; null: none. */
  chrome: string | null;
  /** With `draws: screen`: matches the mark before each message the program draws (`● `), removed from answers with the indent of the lines under it; null: none. */
  messageMark: string | null;
}

export type PresetFields = Omit<Preset, 'name' | 'description'>;

/**
 * Names of the built-in presets: the daemon defines them
 * (packages/daemon/src/presets/presets.ts, checked against this list by the
 * compiler); the CLI offers them on a Tab after `--preset` without loading
 * the presets code.
 */
export const BUILTIN_PRESET_NAMES = ['shell', 'python', 'claude', 'codex'] as const;
export type BuiltinPresetName = (typeof BUILTIN_PRESET_NAMES)[number];
