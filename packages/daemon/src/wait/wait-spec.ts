import { CcxError, type ParamsOf, type Preset, type WaitReason } from '@ccx/shared';

export type Capture = 'output' | 'screen' | 'none';

/** What one `session.wait` waits for, compiled from its parameters and the session's preset. */
export interface WaitSpec {
  /** Output-log offset to start from; undefined: the end of the output now. */
  from: number | undefined;
  /** A pattern over the new output text or over the rendered screen. */
  pattern?: { re: RegExp; on: 'output' | 'screen'; reason: Extract<WaitReason, 'match' | 'ready'> };
  /** The preset's prompt, looked for on the last line of the new output. */
  prompt?: RegExp;
  idleMs?: number;
  exit: boolean;
  timeoutMs?: number;
  /** Text just sent, removed from the captured output where it was echoed exactly. */
  echo?: string;
  capture: Capture;
  /** Prompt removed from the end of the captured output. */
  trailingPrompt?: RegExp;
}

/**
 * Explicit conditions (`until`, `idleMs`, `exit`) are alternatives: the first
 * met ends the wait. With none given, the preset decides: its prompt when it
 * has one, else its idle time. `ready` adds the preset's ready pattern (on
 * the screen), falling back to its prompt, then to its idle time.
 */
export function waitSpec(params: ParamsOf<'session.wait'>, preset: Preset): WaitSpec {
  const spec: WaitSpec = {
    from: params.from,
    exit: params.exit ?? false,
    timeoutMs: params.timeoutMs,
    echo: params.echo,
    capture: params.capture === 'auto' ? preset.answer : (params.capture ?? 'none'),
    trailingPrompt: preset.prompt !== null ? compile(preset.prompt, `prompt of preset ${preset.name}`) : undefined,
  };
  if (params.until !== undefined) spec.pattern = { re: compile(params.until, '--until'), on: params.screen ? 'screen' : 'output', reason: 'match' };
  if (params.idleMs !== undefined) spec.idleMs = params.idleMs;
  const explicit = params.until !== undefined || params.idleMs !== undefined || spec.exit;
  if (params.ready && !spec.pattern && preset.ready !== null) {
    spec.pattern = { re: compile(preset.ready, `ready pattern of preset ${preset.name}`), on: 'screen', reason: 'ready' };
  } else if ((params.ready || !explicit) && spec.trailingPrompt) {
    spec.prompt = spec.trailingPrompt;
  } else if (params.ready || !explicit) {
    spec.idleMs ??= preset.idleMs;
  }
  return spec;
}

function compile(source: string, what: string): RegExp {
  try {
    return new RegExp(source, 'm');
  } catch (error) {
    throw new CcxError('E_USAGE', `${what} is not a valid regular expression: ${(error as Error).message}`, 'JavaScript regex syntax; quote it for the shell, e.g. --until \'^done$\'');
  }
}
