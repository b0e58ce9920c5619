import type { Terminal } from '@xterm/headless';

/**
 * Answers for the terminal queries @xterm/headless 6 leaves unanswered, so
 * the daemon answers every query a program asks, once, whether or not
 * anyone is attached (xterm itself answers DSR 5n/6n/?6n, DA1, DA2, DECRQSS,
 * DECRQM and 18t; the attach filter keeps queries from attached terminals).
 *
 * - OSC 4/10/11/12 colour queries: the colour the program set, else a fixed
 *   default (a light-on-black terminal with xterm's palette).
 * - CSI 11/13/14/15/16/19/20/21 t: sizes from the screen, with a nominal
 *   cell of CELL_WIDTH_PX × CELL_HEIGHT_PX; titles are reported empty: a
 *   title report types a string the program chose into its own input (why
 *   xterm disables it by default).
 * - DA3, XTVERSION, XTGETTCAP (every capability unknown), DECID (as DA1).
 *
 * Not answered, as by a terminal without the feature: clipboard reads
 * (OSC 52 ?), kitty keyboard flags (CSI ? u), DECRQCRA.
 */
export const CELL_WIDTH_PX = 10;
export const CELL_HEIGHT_PX = 20;

const ST = '\x1b\\';
const DEFAULT_FOREGROUND = 'rgb:ffff/ffff/ffff';
const DEFAULT_BACKGROUND = 'rgb:0000/0000/0000';
const DEFAULT_CURSOR = 'rgb:ffff/ffff/ffff';
/** OSC 10–19 colours that have a default to report: foreground, background, cursor. */
const DYNAMIC_DEFAULTS: Record<number, string> = { 10: DEFAULT_FOREGROUND, 11: DEFAULT_BACKGROUND, 12: DEFAULT_CURSOR };

/**
 * The window reports answered below. xterm.js passes a CSI … t to a custom
 * handler only when its window option is on; none of these changes the
 * screen (the options that resize or move a window stay off).
 */
export const ANSWERED_WINDOW_REPORTS = {
  getWinState: true,
  getWinPosition: true,
  getWinSizePixels: true,
  getScreenSizePixels: true,
  getCellSizePixels: true,
  getWinSizeChars: true,
  getScreenSizeChars: true,
  getIconTitle: true,
  getWinTitle: true,
} as const;

export function answerQueries(terminal: Terminal, reply: (data: string) => void): void {
  const palette = new Map<number, string>();
  const dynamic = new Map<number, string>();
  const { parser } = terminal;

  // OSC 10;?  OSC 10;?;? (10 and 11)  OSC 11;rgb:…  — each item is the next colour number.
  for (const first of [10, 11, 12]) {
    parser.registerOscHandler(first, (data) => {
      data.split(';').forEach((spec, k) => {
        const number = first + k;
        if (spec === '?') {
          const colour = dynamic.get(number) ?? DYNAMIC_DEFAULTS[number];
          if (colour) reply(`\x1b]${number};${colour}${ST}`);
        } else {
          const colour = normalizeColour(spec);
          if (colour) dynamic.set(number, colour);
        }
      });
      return true;
    });
  }
  for (const reset of [110, 111, 112]) {
    parser.registerOscHandler(reset, () => (dynamic.delete(reset - 100), true));
  }
  // OSC 4 ; index ; spec [; index ; spec …]
  parser.registerOscHandler(4, (data) => {
    const items = data.split(';');
    for (let k = 0; k + 1 < items.length; k += 2) {
      const index = Number(items[k]);
      if (!Number.isInteger(index) || index < 0 || index > 255) continue;
      if (items[k + 1] === '?') reply(`\x1b]4;${index};${palette.get(index) ?? defaultPaletteColour(index)}${ST}`);
      else {
        const colour = normalizeColour(items[k + 1]!);
        if (colour) palette.set(index, colour);
      }
    }
    return true;
  });
  parser.registerOscHandler(104, (data) => {
    if (data === '') palette.clear();
    else for (const item of data.split(';')) palette.delete(Number(item));
    return true;
  });

  parser.registerCsiHandler({ final: 't' }, (params) => {
    const { cols, rows } = terminal;
    const answers: Record<number, string> = {
      11: '\x1b[1t',
      13: '\x1b[3;0;0t',
      14: `\x1b[4;${rows * CELL_HEIGHT_PX};${cols * CELL_WIDTH_PX}t`,
      15: `\x1b[5;${rows * CELL_HEIGHT_PX};${cols * CELL_WIDTH_PX}t`,
      16: `\x1b[6;${CELL_HEIGHT_PX};${CELL_WIDTH_PX}t`,
      18: `\x1b[8;${rows};${cols}t`,
      19: `\x1b[9;${rows};${cols}t`,
      20: `\x1b]L${ST}`,
      21: `\x1b]l${ST}`,
    };
    const answer = answers[Number(params[0] ?? 0)];
    if (answer === undefined) return false; // 22/23 (title stack) and window changes: xterm's own handling
    reply(answer);
    return true;
  });
  parser.registerCsiHandler({ prefix: '=', final: 'c' }, () => (reply(`\x1bP!|00000000${ST}`), true));
  parser.registerCsiHandler({ prefix: '>', final: 'q' }, () => (reply(`\x1bP>|ccx${ST}`), true));
  parser.registerDcsHandler({ intermediates: '+', final: 'q' }, (data) => (reply(`\x1bP0+r${data}${ST}`), true));
  parser.registerEscHandler({ final: 'Z' }, () => (reply('\x1b[?1;2c'), true));
}

/** `rgb:r/g/b` (1–4 hex digits each) or `#rgb`…`#rrrrggggbbbb` as xterm reports colours (`rgb:rrrr/gggg/bbbb`); undefined for names. */
export function normalizeColour(spec: string): string | undefined {
  let parts: string[] | undefined;
  const rgb = /^rgb:([0-9a-f]{1,4})\/([0-9a-f]{1,4})\/([0-9a-f]{1,4})$/i.exec(spec);
  if (rgb) parts = rgb.slice(1);
  const hash = /^#((?:[0-9a-f]{3}){1,4})$/i.exec(spec);
  if (hash) {
    const size = hash[1]!.length / 3;
    parts = [0, 1, 2].map((k) => hash[1]!.slice(k * size, (k + 1) * size));
  }
  if (!parts) return undefined;
  const scaled = parts.map((hex) => {
    const value = parseInt(hex, 16) / (16 ** hex.length - 1);
    return Math.round(value * 0xffff).toString(16).padStart(4, '0');
  });
  return `rgb:${scaled.join('/')}`;
}

const ANSI_16 = [
  '000000', 'cd0000', '00cd00', 'cdcd00', '0000ee', 'cd00cd', '00cdcd', 'e5e5e5',
  '7f7f7f', 'ff0000', '00ff00', 'ffff00', '5c5cff', 'ff00ff', '00ffff', 'ffffff',
];

/** xterm's default 256-colour palette: 16 ANSI colours, the 6×6×6 cube, 24 greys. */
export function defaultPaletteColour(index: number): string {
  let rgb: [number, number, number];
  if (index < 16) {
    const hex = ANSI_16[index]!;
    rgb = [0, 2, 4].map((k) => parseInt(hex.slice(k, k + 2), 16)) as [number, number, number];
  } else if (index < 232) {
    const level = (n: number): number => (n === 0 ? 0 : 55 + n * 40);
    const n = index - 16;
    rgb = [level(Math.floor(n / 36)), level(Math.floor(n / 6) % 6), level(n % 6)];
  } else {
    const grey = 8 + (index - 232) * 10;
    rgb = [grey, grey, grey];
  }
  return `rgb:${rgb.map((c) => (c * 0x101).toString(16).padStart(4, '0')).join('/')}`;
}
