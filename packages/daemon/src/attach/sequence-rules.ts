import type { AttachAllowKind } from '@ccx/shared';

/**
 * Which escape sequences reach an attached terminal (see output-filter.ts).
 * Pure functions of a sequence's bytes; `undecided` means more of a string
 * is needed to tell.
 */
export type Fate = 'pass' | 'drop' | 'undecided';

const QUESTION = 0x3f;
const SEMICOLON = 0x3b;

/** OSC numbers by what they do to the terminal. */
const TITLE_OSC = new Set([0, 1, 2]);
const CLIPBOARD_OSC = 52;
/** Palette, dynamic colours (foreground, background, cursor, pointer, highlight…), font, and their resets. */
const COLOR_OSC = new Set([4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 50, 104, 105, 106, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119]);
/** Marks that change nothing outside the drawing: working directory, hyperlinks, shell prompt marks. */
const HARMLESS_OSC = new Set([7, 8, 133]);

/**
 * A complete CSI (`body`: parameters and intermediates; `final`): dropped
 * when it is a query, whose answer the daemon gives the program itself, or
 * a window operation (CSI … t: reports, and moving, resizing, iconifying
 * the window). Everything else draws or sets modes and passes.
 */
export function classifyCsi(body: readonly number[], final: number): 'pass' | 'drop' {
  const prefix = body.length > 0 && body[0]! >= 0x3c && body[0]! <= 0x3f ? String.fromCharCode(body[0]!) : '';
  const intermediates = String.fromCharCode(...body.filter((b) => b >= 0x20 && b <= 0x2f));
  const f = String.fromCharCode(final);
  const query =
    f === 'n' || // DSR, DECXCPR, colour-scheme and other status reports
    (f === 'c' && intermediates === '' && (prefix === '' || prefix === '>' || prefix === '=')) || // DA1, DA2, DA3
    (f === 't' && intermediates === '' && prefix === '') || // window reports and manipulation
    (f === 'p' && intermediates === '$') || // DECRQM
    (f === 'q' && prefix === '>') || // XTVERSION
    (f === 'u' && prefix === '?') || // kitty keyboard flags
    (f === 'x' && intermediates === '' && prefix === '') || // DECREQTPARM
    (f === 'y' && intermediates === '*') || // DECRQCRA: a checksum of screen contents
    ((f === 'w' || f === 'u') && intermediates === '$') || // DECRQPSR, DECRQTSR
    (f === 'S' && prefix === '?') || // XTSMGRAPHICS
    (f === 'm' && prefix === '?'); // XTQMODKEYS
  return query ? 'drop' : 'pass';
}

/** Leading decimal number of an OSC payload: the number, `undefined` if none yet, NaN if it is not a number. */
function oscNumber(payload: readonly number[], complete: boolean): { number: number; rest: number } | undefined {
  let value = 0;
  let i = 0;
  for (; i < payload.length && payload[i] !== SEMICOLON; i++) {
    const b = payload[i]!;
    if (b < 0x30 || b > 0x39 || i >= 6) return { number: Number.NaN, rest: i };
    value = value * 10 + (b - 0x30);
  }
  if (i === payload.length && !complete) return undefined;
  if (i === 0) return { number: Number.NaN, rest: i };
  return { number: value, rest: i + 1 };
}

/**
 * An OSC payload (after ESC ], without the terminator). Queries (a `?` where
 * a colour or clipboard content would be) are always dropped: the daemon
 * answers colour queries itself, and a clipboard read would hand the
 * clipboard to the program.
 */
export function classifyOsc(payload: readonly number[], complete: boolean, allow: ReadonlySet<AttachAllowKind>): Fate {
  const head = oscNumber(payload, complete);
  if (!head) return 'undecided';
  const { number, rest } = head;
  if (TITLE_OSC.has(number)) return allow.has('title') ? 'pass' : 'drop';
  if (HARMLESS_OSC.has(number)) return 'pass';
  if (number === CLIPBOARD_OSC) {
    if (!allow.has('clipboard')) return 'drop';
    // 52 ; selection ; data — data `?` reads the clipboard.
    const second = payload.indexOf(SEMICOLON, rest);
    if (second < 0 || second + 1 >= payload.length) return complete ? 'drop' : 'undecided';
    return payload[second + 1] === QUESTION ? 'drop' : 'pass';
  }
  if (COLOR_OSC.has(number)) {
    if (!allow.has('colors')) return 'drop';
    if (!complete) return 'undecided';
    return payload.slice(rest).includes(QUESTION) ? 'drop' : 'pass';
  }
  return allow.has('passthrough') ? 'pass' : 'drop';
}

/**
 * A DCS payload: decided once its introducer (parameters, intermediates,
 * final byte) is complete. DECRQSS (`$ q`) and XTGETTCAP (`+ q`) are
 * queries, answered by the daemon; anything else — tmux-style passthrough,
 * sixel images, DECUDK key definitions — is passthrough.
 */
export function classifyDcs(payload: readonly number[], complete: boolean, allow: ReadonlySet<AttachAllowKind>): Fate {
  let intermediates = '';
  for (const b of payload) {
    if (b >= 0x20 && b <= 0x2f) intermediates += String.fromCharCode(b);
    else if (b >= 0x40 && b <= 0x7e) {
      if (b === 0x71 && (intermediates === '$' || intermediates === '+')) return 'drop';
      return allow.has('passthrough') ? 'pass' : 'drop';
    } else if (b < 0x30 || b > 0x3f) return 'drop';
  }
  return complete ? 'drop' : 'undecided';
}
