import { CcxError, type ParamsOf, type Preset, type WaitReason } from '@ccx/shared';
import type { ScreenReading } from './screen-answer.js';

export type Capture = 'output' | 'screen' | 'none';

/** One pattern of `until`/`untilText`: `index` is its place in that list, `source` what the user gave. */
export interface WaitPattern {
  re: RegExp;
  index: number;
  source: string;
}

/** What one `session.wait` waits for, compiled from its parameters and the session's preset. */
export interface WaitSpec {
  /** Output-log offset to start from; undefined: the end of the output now. */
  from: number | undefined;
  /**
   * Patterns over the new output text, over the rendered screen, or (for a
   * program that draws its answers, `draws: screen`) over what it drew on
   * the screen since the mark (screen-answer.ts); the first to match wins.
   */
  patterns?: { list: WaitPattern[]; on: 'output' | 'screen' | 'drawn'; reason: Extract<WaitReason, 'match' | 'ready'> };
  /**
   * Test screen patterns at once, against the screen as it is (a screen is
   * a state: `wait --screen` for something already shown is met). Not for
   * the wait of a send, where the screen from before the send must not count.
   */
  screenFirst: boolean;
  /** The preset's prompt, looked for on the last line of the new output. */
  prompt?: RegExp;
  idleMs?: number;
  exit: boolean;
  timeoutMs?: number;
  /** Text just sent, removed from the captured output where it was echoed. */
  echo?: string;
  /** Whether an Enter followed the echoed text. */
  echoEnter: boolean;
  /** The preset's prompt before each further echoed line of a multi-line send. */
  echoPrompt?: RegExp;
  capture: Capture;
  /** Set for a program that draws its answers (`draws: screen`): matches and the captured output come from its screen. */
  reading?: ScreenReading;
  /** Prompt removed from the end of the captured output. */
  trailingPrompt?: RegExp;
  /**
   * The preset decides (no explicit condition): where the program states
   * its turns (Claude Code's state file), its turn ending (busy → idle) or
   * its starting to wait ends the wait, not a quiet spell.
   */
  agentTurn: boolean;
  /** When the turn's text was sent (epoch ms): a state newer than that belongs to this turn. Default: the wait's start. */
  agentSince?: number;
}

export type WaitParams = Omit<ParamsOf<'session.wait'>, 'target'>;

/**
 * Explicit conditions (`until`, `untilText`, `idleMs`, `exit`) are
 * alternatives: the first met ends the wait. With none given, the preset
 * decides: its prompt when it has one, else its idle time. `ready` adds the
 * preset's ready pattern (on the screen), falling back to its prompt, then
 * to its idle time.
 */
export function waitSpec(params: WaitParams, preset: Preset): WaitSpec {
  const spec: WaitSpec = {
    from: typeof params.from === 'number' ? params.from : undefined,
    exit: params.exit ?? false,
    timeoutMs: params.timeoutMs,
    echo: params.echo,
    echoEnter: true,
    screenFirst: params.echo === undefined,
    capture: params.capture === 'auto' ? preset.answer : (params.capture ?? 'none'),
    trailingPrompt: preset.prompt !== null ? compile(preset.prompt, `prompt of preset ${preset.name}`) : undefined,
    echoPrompt: preset.echoPrompt !== null ? compile(preset.echoPrompt, `echoPrompt of preset ${preset.name}`) : undefined,
    agentTurn: false,
  };
  if (preset.draws === 'screen') spec.reading = screenReading(preset);
  const list = untilPatterns(params.until, params.untilText);
  if (list.length > 0) spec.patterns = { list, on: params.screen ? 'screen' : spec.reading ? 'drawn' : 'output', reason: 'match' };
  if (params.idleMs !== undefined) spec.idleMs = params.idleMs;
  const explicit = list.length > 0 || params.idleMs !== undefined || spec.exit;
  if (params.ready && !spec.patterns && preset.ready !== null) {
    const re = compile(preset.ready, `ready pattern of preset ${preset.name}`);
    spec.patterns = { list: [{ re, index: 0, source: preset.ready }], on: 'screen', reason: 'ready' };
  } else if ((params.ready || !explicit) && spec.trailingPrompt) {
    spec.prompt = spec.trailingPrompt;
  } else if (params.ready || !explicit) {
    spec.idleMs ??= preset.idleMs;
  }
  spec.agentTurn = !explicit && !params.ready;
  return spec;
}

function screenReading(preset: Preset): ScreenReading {
  const re = (source: string | null, what: string): RegExp | undefined => (source === null ? undefined : compile(source, `${what} of preset ${preset.name}`));
  return { inputBox: re(preset.inputBox, 'inputBox'), chrome: re(preset.chrome, 'chrome'), messageMark: re(preset.messageMark, 'messageMark') };
}

/** `until` regexes first, in the order given, then `untilText` strings (matched exactly, not as regexes). */
export function untilPatterns(until: string | string[] | undefined, untilText: string[] | undefined): WaitPattern[] {
  const regexes = until === undefined ? [] : Array.isArray(until) ? until : [until];
  const out: WaitPattern[] = regexes.map((source, index) => ({ re: compile(source, '--until'), index, source }));
  for (const text of untilText ?? []) out.push({ re: new RegExp(escapeRegExp(text), 'm'), index: out.length, source: text });
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function compile(source: string, what: string): RegExp {
  try {
    return new RegExp(source, 'm');
  } catch (error) {
    throw new CcxError('E_USAGE', `${what} is not a valid regular expression: ${(error as Error).message}`, "JavaScript regex syntax; quote it for the shell, e.g. --until '^done$', or look for an exact string with --until-text");
  }
}
