import { keyBytes, type Preset } from '@ccx/shared';
import type { InputTextMode } from '../config/settings.js';

/** Text of a send that arrives in pieces (a streamed `send --stdin`): `bytes` in all, pulled one chunk at a time. */
export interface StreamedText {
  bytes: number;
  /** The next chunk; rejects when the client went away. */
  next(): Promise<Buffer>;
}

/**
 * What one input does, decided once, for every verb that types into a
 * session (`send`, `turn`, `interrupt`, `approve`/`deny`) and every kind of
 * session: the text, whether Enter follows it, the keys after it, and the
 * pause before Enter. A PTY session turns it into bytes (session.ts); a
 * session of another kind reads `text` as a message and `keys` as its
 * controls.
 */
export interface InputPlan {
  text?: string | StreamedText;
  /** false: type the text as keystrokes, never inside bracketed-paste markers (tmux send-keys -l). */
  paste?: boolean;
  enter: boolean;
  /** Key names (`send --key`), pressed after the text and Enter. */
  keys: string[];
  /** Pause between the text and Enter; undefined: the session's own (its preset's at start). */
  enterDelayMs?: number;
  /** What `input-sent` says caused it. */
  source?: string;
  /** false: no `input-sent` event (`send --no-record`). */
  record?: boolean;
}

/** What a client asks to send: the `session.send` / `session.turn` fields, as given. */
export interface SendRequest {
  text?: string | StreamedText;
  paste?: boolean;
  enter?: boolean;
  keys?: string[];
  enterDelayMs?: number;
  record?: boolean;
}

/**
 * The plan of a send. Enter follows unless the client says `enter: false`
 * or gives keys (explicit keys replace it, so `send --key Escape` presses
 * Escape only); the Enter delay is the request's, else that of the preset
 * the request names, else the session's.
 */
export function planSend(request: SendRequest, namedPreset: Pick<Preset, 'enterDelayMs'> | undefined, source?: string): InputPlan {
  const keys = request.keys ?? [];
  return {
    text: request.text,
    paste: request.paste,
    enter: request.enter ?? keys.length === 0,
    keys,
    enterDelayMs: request.enterDelayMs ?? namedPreset?.enterDelayMs,
    record: request.record,
    ...(source ? { source } : {}),
  };
}

/** Presses keys, without text or Enter: interrupt, approve, deny, a re-press of Enter. */
export function planKeys(keys: string[], source: string): InputPlan {
  return { keys, enter: false, source };
}

/** Bracketed-paste markers (xterm mode 2004) around pasted text. */
export const PASTE_START = '\x1b[200~';
export const PASTE_END = '\x1b[201~';
export const PASTE_MARKER_BYTES = PASTE_START.length + PASTE_END.length;

/** What follows the text, as bytes for a terminal: Enter (CR), then each key. */
export function tailBytes(plan: InputPlan): string[] {
  return (plan.enter ? ['\r'] : []).concat(plan.keys.map(keyBytes));
}

/** Bytes of the plan's text as written. */
export function textBytes(text: InputPlan['text']): number {
  return typeof text === 'string' ? Buffer.byteLength(text) : (text?.bytes ?? 0);
}

/** The plan has text to write (an empty string has none; a stream always has). */
export function hasText(text: InputPlan['text']): boolean {
  return typeof text === 'string' ? text.length > 0 : text !== undefined;
}

/** Characters of sent text an `input-sent` event carries with `events.inputText: "preview"`. */
export const INPUT_PREVIEW_CHARS = 200;

/** `none`: neither text nor keys (their byte count is in `bytes`); `preview`: the first 200 characters; `full`: all of it. */
export function inputTextFields(mode: InputTextMode, text: string | undefined, keys: string[]): { text?: string; keys?: string[] } {
  if (mode === 'none') return {};
  return {
    text: text === undefined ? undefined : mode === 'full' ? text : truncate(text, INPUT_PREVIEW_CHARS),
    keys: keys.length ? keys : undefined,
  };
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
