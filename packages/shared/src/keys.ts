import { CcxError } from './errors.js';

/** Byte sequences of the named keys `ccx send --key` accepts (xterm, normal cursor mode). */
const NAMED_KEYS: Record<string, string> = {
  enter: '\r',
  escape: '\x1b',
  esc: '\x1b',
  tab: '\t',
  backspace: '\x7f',
  space: ' ',
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  home: '\x1b[H',
  end: '\x1b[F',
  pageup: '\x1b[5~',
  pagedown: '\x1b[6~',
  delete: '\x1b[3~',
  insert: '\x1b[2~',
};

export const KEY_NAMES = ['Enter', 'Escape', 'Tab', 'Backspace', 'Space', 'Up', 'Down', 'Left', 'Right', 'Home', 'End', 'PageUp', 'PageDown', 'Delete', 'Insert', 'C-a … C-z'];

/** Decodes `\e`, `\xNN`, `\r`, `\n`, `\t`, `\0` and `\\` in a literal key. */
export function decodeEscapes(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[ernt0\\])/g, (_m, esc: string) => {
    if (esc[0] === 'x') return String.fromCharCode(parseInt(esc.slice(1), 16));
    return { e: '\x1b', r: '\r', n: '\n', t: '\t', '0': '\0', '\\': '\\' }[esc] ?? '';
  });
}

/**
 * Resolves a key spec to the bytes to write: a name (`Enter`, `Up`), a
 * control chord (`C-c`), or a literal with backslash escapes (`\x1b[A`).
 */
export function keyBytes(spec: string): string {
  const named = NAMED_KEYS[spec.toLowerCase()];
  if (named !== undefined) return named;
  const chord = /^C-([a-zA-Z@\[\\\]^_])$/.exec(spec);
  if (chord) return String.fromCharCode(chord[1]!.toUpperCase().charCodeAt(0) & 0x1f);
  if (spec.includes('\\')) return decodeEscapes(spec);
  throw new CcxError(
    'E_USAGE',
    `unknown key: ${spec}`,
    `use one of ${KEY_NAMES.join(', ')}, or a literal with escapes like '\\x1b[A'`,
  );
}
