/**
 * Unit tests of attach's filters (packages/daemon/src/attach/) and of the
 * screen's own answers to terminal queries (session/screen-replies.ts):
 * pure modules, fed byte strings, split anywhere.
 */
import test from 'ava';
import { ATTACH_ALLOW_KINDS, type AttachAllowKind } from '@ccx/shared';
// The daemon's compiled modules (the suite runs on a fresh build).
import { OutputFilter } from '../packages/daemon/dist/attach/output-filter.js';
import { ReplyFilter } from '../packages/daemon/dist/attach/reply-filter.js';
import { Screen } from '../packages/daemon/dist/session/screen.js';

const NONE: AttachAllowKind[] = [];
const ALL: AttachAllowKind[] = [...ATTACH_ALLOW_KINDS];

/** Output of one filter fed `input` (latin1: one char per byte) in the given pieces. */
function filtered(input: string, allow: AttachAllowKind[], cuts: number[] = []): string {
  const filter = new OutputFilter(new Set(allow));
  const bytes = Buffer.from(input, 'latin1');
  let out = '';
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out += filter.push(bytes.subarray(at, cut)).toString('latin1');
    at = cut;
  }
  return out;
}

const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

const SAMPLES = [
  'a\x1b]52;c;aGVsbG8=\x07b',
  'a\x1b]0;title\x1b\\b',
  'a\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\b',
  'x\x1b]11;rgb:ff/00/00\x07y\x1b]11;?\x07z',
  'q\x1b[6n\x1b[c\x1b[>c\x1b[31mred\x1b[0m\x1b[?1049h',
  utf8('c1 \u009d52;c;eA==\u009c after ü ✓ \u{1f600}'),
  'raw \x9d52;c;eA==\x9c after',
  'a\x1b_Gi=1;AAAA\x1b\\b\x1bP$qm\x1b\\c',
];

test('a sequence split anywhere, even byte by byte, is filtered as if it came whole', (t) => {
  for (const sample of SAMPLES) {
    for (const allow of [NONE, ALL]) {
      const whole = filtered(sample, allow);
      const n = Buffer.byteLength(sample, 'latin1');
      t.is(filtered(sample, allow, Array.from({ length: n - 1 }, (_, i) => i + 1)), whole, `byte by byte: ${JSON.stringify(sample)}`);
      for (let cut = 1; cut < n; cut++) t.is(filtered(sample, allow, [cut]), whole, `cut at ${cut}: ${JSON.stringify(sample)}`);
    }
  }
});

test('by default a clipboard, passthrough (tmux-style too), colour, title or APC sequence is dropped', (t) => {
  t.is(filtered(SAMPLES[0]!, NONE), 'ab');
  t.is(filtered(SAMPLES[1]!, NONE), 'ab');
  t.is(filtered(SAMPLES[2]!, NONE), 'ab', 'the OSC 52 inside the passthrough is dropped too');
  t.is(filtered('x\x1b]4;1;#ff0000\x1b\\y\x1b]104\x07z\x1b]50;font\x07', NONE), 'xyz');
  t.is(filtered('a\x1b]1337;File=x\x07b', NONE), 'ab', 'an OSC ccx does not know counts as passthrough');
});

test('an allowed kind of sequence passes byte for byte', (t) => {
  t.is(filtered(SAMPLES[0]!, ['clipboard']), SAMPLES[0]!);
  t.is(filtered(SAMPLES[1]!, ['title']), SAMPLES[1]!);
  t.is(filtered(SAMPLES[2]!, ['passthrough']), SAMPLES[2]!, 'the doubled ESC of tmux passthrough is kept');
  t.is(filtered('x\x1b]11;rgb:ff/00/00\x07y', ['colors']), 'x\x1b]11;rgb:ff/00/00\x07y');
  t.is(filtered('a\x1b_Gi=1;AAAA\x1b\\b', ['passthrough']), 'a\x1b_Gi=1;AAAA\x1b\\b');
});

test('a hyperlink passes by default (it draws)', (t) => {
  t.is(filtered('a\x1b]8;;http://example.com\x1b\\link\x1b]8;;\x1b\\', NONE), 'a\x1b]8;;http://example.com\x1b\\link\x1b]8;;\x1b\\', 'hyperlinks draw: they pass');
});

test('queries never pass, allowed or not: DSR, DA, DECRQSS, XTGETTCAP, window reports, colour or clipboard reads', (t) => {
  for (const query of ['\x1b[6n', '\x1b[5n', '\x1b[?6n', '\x1b[c', '\x1b[0c', '\x1b[>c', '\x1b[=c', '\x1b[21t', '\x1b[14t', '\x1b[?2004$p', '\x1b[>q', '\x1bZ', '\x9b6n']) {
    t.is(filtered(`a${query}b`, ALL), 'ab', JSON.stringify(query));
  }
  for (const query of ['\x1bP$qm\x1b\\', '\x1bP+q544e\x1b\\', '\x1b]11;?\x07', '\x1b]10;?\x1b\\', '\x1b]4;1;?\x07', '\x1b]52;c;?\x07']) {
    t.is(filtered(`a${query}b`, ALL), 'ab', JSON.stringify(query));
  }
});

test('sequences that draw or set modes pass by default', (t) => {
  t.is(filtered('\x1b[1;31mx\x1b[2J\x1b[H\x1b[?25l\x1b[>4;2m\x1b[?2004h\x1b(B', NONE), '\x1b[1;31mx\x1b[2J\x1b[H\x1b[?25l\x1b[>4;2m\x1b[?2004h\x1b(B', 'drawing and modes pass');
});

test('a string ends at BEL (OSC only) or at ST, as ESC \\ or C1', (t) => {
  t.is(filtered('a\x1b]2;t\x07b', NONE), 'ab');
  t.is(filtered('a\x1b]2;t\x1b\\b', NONE), 'ab');
  t.is(filtered(utf8('a\u009d2;t\u009cb'), NONE), 'ab', 'C1 OSC and ST in UTF-8');
  t.is(filtered('a\x9d2;t\x9cb', NONE), 'ab', 'C1 OSC and ST as raw bytes');
  t.is(filtered('a\x1bPq#0;2;0;0;0\x07still-dcs\x1b\\b', NONE), 'ab', 'BEL does not end a DCS');
});

test('CAN aborts a string', (t) => {
  t.is(filtered('a\x1b]52;c;eA==\x18b', ALL.filter((k) => k !== 'clipboard')), 'a\x18b');
});

test('an ESC that is not ST ends the string as the start of a new sequence', (t) => {
  t.is(filtered('a\x1b]52;c;eA==\x1b[1mb', NONE), 'a\x1b[1mb');
});

test('a 0x9c inside a UTF-8 character is not ST', (t) => {
  const title = utf8('\x1b]2;Ŝ ü ✓\x07');
  t.is(filtered(`${title}x`, ['title']), `${title}x`, 'Ŝ is C5 9C: the title does not end inside it');
  t.is(filtered(`${title}x`, NONE), 'x');
});

test('UTF-8 text passes unchanged', (t) => {
  t.is(filtered(utf8('grün ✓ \u{1f600}'), NONE), utf8('grün ✓ \u{1f600}'));
});

test('bytes that are not UTF-8 become U+FFFD', (t) => {
  t.is(filtered('bad\xff\xc3(', NONE), utf8('bad\ufffd\ufffd('));
});

/** A fresh reply filter and what it keeps of a latin1 string pushed into it. */
function replyFilter(): { replies: InstanceType<typeof ReplyFilter>; keep: (s: string) => string } {
  const replies = new ReplyFilter();
  return { replies, keep: (s: string): string => replies.push(Buffer.from(s, 'latin1')).toString('latin1') };
}

test('the reply filter drops terminal replies', (t) => {
  const { keep } = replyFilter();
  t.is(keep('a\x1b[12;40Rb'), 'ab', 'cursor position report');
  t.is(keep('\x1b[?1;2c\x1b[>0;276;0c\x1b[0n\x1b[?2004;2$y\x1b[8;24;80t'), '', 'DA1, DA2, DSR, DECRPM, window report');
  t.is(keep('\x1b]11;rgb:0000/0000/0000\x1b\\\x1b]10;rgb:ffff/ffff/ffff\x07\x1bP1$r0m\x1b\\\x1bP>|xterm\x1b\\'), '', 'colour, DECRQSS and XTVERSION replies');
});

test('the reply filter keeps keys, focus events, mouse reports', (t) => {
  const { keep } = replyFilter();
  t.is(keep('\x1b[A\x1b[1;5C\x1bOP\x1b[1;2R\x1b[I\x1b[O\x1b[<0;10;5M\x1b[<0;10;5m\x1b[13;5u'), '\x1b[A\x1b[1;5C\x1bOP\x1b[1;2R\x1b[I\x1b[O\x1b[<0;10;5M\x1b[<0;10;5m\x1b[13;5u', 'arrows, F-keys (Shift-F3 too), focus, SGR mouse, kitty keys');
  t.is(keep('\x1b[M !!x'), '\x1b[M !!x', 'an X10 mouse report with its three raw bytes');
  t.is(keep('\x1b'), '\x1b', 'a lone Escape key is never held');
});

test('the reply filter holds an unfinished reply until its end comes, dropping it whole', (t) => {
  const { replies, keep } = replyFilter();
  t.is(keep('x\x1b]11;rgb:00'), 'x', 'an unfinished reply is held');
  t.true(replies.holding);
  t.is(keep('00/0000/0000\x1b\\y'), 'y', '…and dropped when its end comes');
});

test('a held ESC [ that no reply follows comes out of the reply filter when released', (t) => {
  const { replies, keep } = replyFilter();
  t.is(keep('\x1b['), '');
  t.is(replies.release().toString('latin1'), '\x1b[', 'Alt-[ typed alone comes out when released');
  t.false(replies.holding);
});

/** What a headless screen answers to `query`. */
async function answerTo(screen: InstanceType<typeof Screen>, query: string): Promise<string> {
  let got = '';
  const listener = screen.onReply((data: string) => (got += data));
  await screen.whenParsed(() => undefined);
  screen.write(query);
  await screen.whenParsed(() => undefined);
  listener.dispose();
  return got;
}

/** A headless 80x24 screen, disposed in teardown. */
function screenFor(t: { teardown: (fn: () => void) => void }): InstanceType<typeof Screen> {
  const screen = new Screen(80, 24);
  t.teardown(() => screen.dispose());
  return screen;
}

test('the screen answers every query once: DSR, DA (xterm), colours, window reports, DA3, XTVERSION, XTGETTCAP', async (t) => {
  const screen = screenFor(t);
  t.is(await answerTo(screen, 'ab\x1b[6n'), '\x1b[1;3R');
  t.is(await answerTo(screen, '\x1b[c'), '\x1b[?1;2c');
  t.is(await answerTo(screen, '\x1b]11;?\x07'), '\x1b]11;rgb:0000/0000/0000\x1b\\');
  t.is(await answerTo(screen, '\x1b]10;?;?\x1b\\'), '\x1b]10;rgb:ffff/ffff/ffff\x1b\\\x1b]11;rgb:0000/0000/0000\x1b\\', 'OSC 10;?;? asks for 10 and 11');
  t.is(await answerTo(screen, '\x1b]11;#ff8000\x07\x1b]11;?\x07'), '\x1b]11;rgb:ffff/8080/0000\x1b\\', 'the colour the program set');
  t.is(await answerTo(screen, '\x1b]111\x07\x1b]11;?\x07'), '\x1b]11;rgb:0000/0000/0000\x1b\\', 'reset to the default');
  t.is(await answerTo(screen, '\x1b]4;1;?\x07'), '\x1b]4;1;rgb:cdcd/0000/0000\x1b\\');
  t.is(await answerTo(screen, '\x1b[14t\x1b[16t\x1b[18t'), '\x1b[4;480;800t\x1b[6;20;10t\x1b[8;24;80t');
  t.is(await answerTo(screen, '\x1b]2;rm -rf ~\x07\x1b[21t'), '\x1b]l\x1b\\', 'a title report is empty: never the program-chosen text');
  t.is(await answerTo(screen, '\x1bP$qm\x1b\\'), '\x1bP1$r0m\x1b\\');
  t.is(await answerTo(screen, '\x1b[=c\x1b[>q'), '\x1bP!|00000000\x1b\\\x1bP>|ccx\x1b\\');
  t.is(await answerTo(screen, '\x1bP+q544e\x1b\\'), '\x1bP0+r544e\x1b\\');
});

test('the screen gives no answer to output that asks nothing', async (t) => {
  const screen = screenFor(t);
  t.is(await answerTo(screen, '\x1b[31mplain output\x1b[0m'), '', 'output that asks nothing gets no answer');
});
