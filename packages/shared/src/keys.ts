import { CcxError } from './errors.js';

/** Byte sequences of the named keys `ccx send --key` accepts (xterm, normal cursor mode), by lower-case name. */
const NAMED_KEYS: Record<string, string> = {
  enter: '\r',
  escape: '\x1b',
  esc: '\x1b',
  tab: '\t',
  // Shift-Tab is "back tab" (CBT) in xterm; tmux calls it BTab.
  's-tab': '\x1b[Z',
  btab: '\x1b[Z',
  backspace: '\x7f',
  space: ' ',
  // Ctrl-Space types NUL, as Ctrl-@ does (Emacs set-mark).
  'c-space': '\0',
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
  // xterm's function keys: F1–F4 as SS3 (what a VT100's PF1–PF4 sent), F5 on as CSI n ~ (16 and 22 are skipped, as on a VT220).
  f1: '\x1bOP',
  f2: '\x1bOQ',
  f3: '\x1bOR',
  f4: '\x1bOS',
  f5: '\x1b[15~',
  f6: '\x1b[17~',
  f7: '\x1b[18~',
  f8: '\x1b[19~',
  f9: '\x1b[20~',
  f10: '\x1b[21~',
  f11: '\x1b[23~',
  f12: '\x1b[24~',
};

/** What `--key` accepts, for help texts and hints (the README's "Keys for send --key" lists the same). */
export const KEY_NAMES = [
  'any single character (q, 3, :)',
  'Enter', 'Escape', 'Tab', 'S-Tab', 'Backspace', 'Space', 'Up', 'Down', 'Left', 'Right', 'Home', 'End', 'PageUp', 'PageDown', 'Delete', 'Insert',
  'F1 … F12', 'C-a … C-z', 'C-Space', 'M-KEY (Meta/Alt: Escape, then KEY)',
];

/** Decodes `\e`, `\xNN`, `\r`, `\n`, `\t`, `\0` and `\\` in a literal key. */
export function decodeEscapes(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[ernt0\\])/g, (_m, esc: string) => {
    if (esc[0] === 'x') return String.fromCharCode(parseInt(esc.slice(1), 16));
    return { e: '\x1b', r: '\r', n: '\n', t: '\t', '0': '\0', '\\': '\\' }[esc] ?? '';
  });
}

/**
 * Resolves a key spec to the bytes to write: one character as itself (`q`,
 * `:`), a name (`Enter`, `F5`, `S-Tab`), a control chord (`C-c`,
 * `C-Space`), Meta/Alt of any of these (`M-x`, `M-Enter`: Escape first, as
 * terminals send Alt without `metaSendsEscape` off and tmux does), or a
 * literal with backslash escapes (`\x1b[A`).
 */
export function keyBytes(spec: string): string {
  // One character (one code point: `é` too) is typed as it is; names are longer.
  if ([...spec].length === 1) return spec;
  const named = NAMED_KEYS[spec.toLowerCase()];
  if (named !== undefined) return named;
  const chord = /^C-([a-zA-Z@\[\\\]^_])$/.exec(spec);
  if (chord) return String.fromCharCode(chord[1]!.toUpperCase().charCodeAt(0) & 0x1f);
  const meta = /^M-(.+)$/s.exec(spec);
  if (meta) return '\x1b' + keyBytes(meta[1]!);
  if (spec.includes('\\')) return decodeEscapes(spec);
  throw new CcxError(
    'E_USAGE',
    `unknown key: ${spec}`,
    `use one of ${KEY_NAMES.join(', ')}, or a literal with escapes like '\\x1b[A' (see "Keys for send --key" in the README)`,
  );
}
