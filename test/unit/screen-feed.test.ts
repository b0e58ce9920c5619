/**
 * Unit tests of packages/daemon/src/session/plain-output.ts and screen-feed.ts:
 * a screen that skips the lines of a flood which scroll out shows exactly
 * what a screen parsing every byte shows.
 */
import test from 'ava';
import { cutBeforeLines, plainPrefixLength } from '../../packages/daemon/src/session/plain-output.js';
import { Screen } from '../../packages/daemon/src/session/screen.js';
import { linesThatRefill } from '../../packages/daemon/src/session/screen-feed.js';
import { screenState, screenText } from '../../packages/daemon/src/session/screen-render.js';

interface Random {
  int(min: number, max: number): number;
}
/** A seeded source (mulberry32), so that a failing seed can be run again. */
function rng(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The plain prefix, one byte at a time and spelled out: what the word-at-a-time version must agree with. */
function referencePlainPrefix(data: Uint8Array): number {
  let i = 0;
  while (i < data.length) {
    const b = data[i]!;
    if (b < 0x80) {
      if (!((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) return i;
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > data.length) return i;
    const text = Buffer.from(data.subarray(i, i + length)).toString('utf8');
    const cp = text.codePointAt(0)!;
    // Valid, shortest form, not a C1 control, not a surrogate.
    if (text.length === 0 || text.includes('\ufffd') || cp < 0xa0 || Buffer.from(text, 'utf8').length !== length) return i;
    i += length;
  }
  return i;
}

test('plainPrefixLength takes printable ASCII, TAB, CR, LF and whole printable UTF-8', (t) => {
  t.is(plainPrefixLength(Buffer.from('hello\tworld\r\nsecond line\n')), 25);
  t.is(plainPrefixLength(Buffer.from('naïve — 日本語 🎉\r\n')), Buffer.byteLength('naïve — 日本語 🎉\r\n'));
});

test('plainPrefixLength stops at ESC, BEL, DEL, SO and other C0 bytes', (t) => {
  for (const stop of ['\x1b[31m', '\x07', '\x7f', '\x0e', '\x00', '\x08', '\x0c']) {
    t.is(plainPrefixLength(Buffer.concat([bytes('abcdefgh'), bytes(stop), bytes('ijkl')])), 8, JSON.stringify(stop));
  }
});

test('plainPrefixLength stops at C1 controls as bytes, as UTF-8 and as overlong UTF-8', (t) => {
  t.is(plainPrefixLength(bytes('abcd\x9b2J')), 4);
  t.is(plainPrefixLength(bytes('abcd\xc2\x9b2J')), 4);
  t.is(plainPrefixLength(bytes('abcd\xe0\x82\x9b')), 4);
  t.is(plainPrefixLength(bytes('abcd\xc1\x9b')), 4);
  t.is(plainPrefixLength(bytes('abcd\xc2\xa0x')), 7, 'U+00A0 is printable');
});

test('plainPrefixLength ends before a UTF-8 sequence cut off by the end, and at a leading continuation byte', (t) => {
  t.is(plainPrefixLength(bytes('abc\xe6\x97')), 3);
  t.is(plainPrefixLength(bytes('\x97\xa5abc')), 0);
});

test('plainPrefixLength agrees with the byte-at-a-time reference on random bytes, aligned or not', (t) => {
  const random = rng(1);
  const alphabet = ['a', 'Z', ' ', '~', '\t', '\r', '\n', '\x1b', '\x7f', '\x9b', '\xc2\x9b', '\xc2\xa0', '\xe6\x97\xa5', '\xe6\x97', '\xf0\x9f\x8e\x89', '\xe0\x82\x9b', '\xff', '\x80'];
  for (let n = 0; n < 3000; n++) {
    const parts: string[] = [];
    const printableRun = random.int(0, 40);
    parts.push('x'.repeat(printableRun));
    for (let k = random.int(0, 12); k > 0; k--) parts.push(alphabet[random.int(0, alphabet.length - 1)]!.repeat(random.int(1, 3)));
    const whole = bytes(`..${parts.join('')}`);
    const offset = random.int(0, 2); // views starting on and off a 4-byte boundary
    const view = whole.subarray(offset);
    t.is(plainPrefixLength(view), referencePlainPrefix(view), JSON.stringify(view.toString('latin1')));
  }
});

test('cutBeforeLines cuts after the latest CR that still has the lines after it', (t) => {
  const data = bytes('a\r\nb\r\nc\r\nd\r\n');
  t.is(cutBeforeLines([data], data.length, 2), 8, 'after the CR that ends "c": its LF and the one after "d" follow');
  t.is(cutBeforeLines([data], data.length, 4), 2, 'after the CR that ends "a"');
  t.is(cutBeforeLines([data], data.length, 5), 0, 'five LFs are not there');
  t.is(cutBeforeLines([data], 6, 1), 5, 'only the plain part counts: after the CR that ends "b"');
});

test('cutBeforeLines counts across chunks and gives the offset into all of them', (t) => {
  const data = bytes('a\r\nb\r\nc\r\nd\r\n');
  const chunks = [data.subarray(0, 5), data.subarray(5, 8), data.subarray(8)];
  for (const lines of [1, 2, 3, 4, 5]) t.is(cutBeforeLines(chunks, data.length, lines), cutBeforeLines([data], data.length, lines), `${lines} lines`);
  t.is(cutBeforeLines(chunks, 9, 1), 8, 'the plain part ends inside the last chunk, after the LF of "c"');
});

test('cutBeforeLines finds no cut in output without CRs', (t) => {
  const data = bytes('a\nb\nc\nd\ne\n');
  t.is(cutBeforeLines([data], data.length, 1), 0);
});

test('linesThatRefill is twice the rows plus the scrollback, none inside a sequence or a scroll region', async (t) => {
  const screen = new Screen(40, 10, 100);
  t.is(linesThatRefill(screen.terminal), 2 * 10 + 100 + 1);
  screen.terminal.write('\x1b]0;a title that is not finished');
  await screen.whenParsed(() => undefined);
  t.is(linesThatRefill(screen.terminal), undefined, 'inside an OSC string');
  screen.terminal.write('\x07\x1b[2;5r');
  await screen.whenParsed(() => undefined);
  t.is(linesThatRefill(screen.terminal), undefined, 'with a scroll region');
  screen.terminal.write('\x1b[r\x1b[?1049h');
  await screen.whenParsed(() => undefined);
  t.is(linesThatRefill(screen.terminal), 2 * 10 + 1, 'the alternate screen has no scrollback');
  screen.dispose();
});

/** Lines of random text: ASCII, accents, wide and combining characters, emoji; CR LF mostly. */
function textLines(random: Random, count: number): string {
  const words = ['lorem', 'ipsum', 'x', '', 'naïve', '日本語テキスト', 'e\u0301', '🎉🎉', '\t', 'a'.repeat(130), 'qqqq'];
  let out = '';
  for (let i = 0; i < count; i++) {
    for (let w = random.int(0, 8); w > 0; w--) out += words[random.int(0, words.length - 1)] + ' ';
    const end = random.int(0, 20);
    out += end === 0 ? '\n' : end === 1 ? '' : '\r\n';
  }
  return out;
}

/** Escape sequences and controls that change what later plain text does, or that a skip must not cross. */
const SEQUENCES = [
  '\x1b[31m', '\x1b[0m', '\x1b[44;1m', '\x1b[5;3H', '\x1b[H', '\x1b[2J', '\x1b[K', '\x1b[3;8r', '\x1b[r', '\x1b[?1049h', '\x1b[?1049l',
  '\x1b]0;title one\x07', '\x1b]2;title two\x1b\\', '\x1b[4h', '\x1b[4l', '\x1b[?7l', '\x1b[?7h', '\x1b[3b', '\x1b[6n', '\x1b[c',
  '\x1bH', '\x1b[3g', '\x1b7', '\x1b8', '\x9b2J', '\xc2\x9bH', '\x1b[20h', '\x1b[20l', '\x1b(0', '\x1b(B', '\x0e', '\x0f', '\x1b[?2026h', '\x1b[?2026l',
  '\x1b]0;unfinished ', '\x1b[', '\x1b[1;', '\xe6\x97', '\x08', '\x1bM', '\x1b[5L', '\x1b[2M', '\x1b[?6h', '\x1b[?6l',
];

/** A random stream of floods, short text and sequences. */
function randomStream(random: Random): Buffer {
  const parts: Buffer[] = [];
  for (let p = random.int(3, 14); p > 0; p--) {
    const kind = random.int(0, 9);
    if (kind < 3) parts.push(Buffer.from(textLines(random, random.int(400, 1600))));
    else if (kind < 6) parts.push(Buffer.from(textLines(random, random.int(0, 30))));
    else parts.push(bytes(SEQUENCES[random.int(0, SEQUENCES.length - 1)]!));
  }
  return Buffer.concat(parts);
}

/** Splits a stream into chunks of 1 byte to 64 KiB, cutting sequences and characters anywhere. */
function chunks(random: Random, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const size = random.int(0, 4) === 0 ? random.int(1, 16) : random.int(1, 65536);
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** Everything a screen shows or would answer with, to compare two screens by. */
function observe(screen: Screen, replies: string[]) {
  return {
    text: screenText(screen, 10_000),
    state: screenState(screen),
    ansi: screen.serializer.serialize({ scrollback: 10_000 }),
    bracketedPaste: screen.bracketedPaste,
    replies: replies.join(''),
  };
}

/** What a sequence run after the stream leaves: REP, a query, text in the charset and colours then in force. */
const PROBE = bytes('\x1b[5bprobe q\x1b[6n\r\nend');

test('a screen fed through ScreenFeed shows what one parsing every byte shows, for random streams cut anywhere', async (t) => {
  let skipped = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const random = rng(seed);
    const [cols, rows, scrollback] = [random.int(20, 100), random.int(4, 30), random.int(0, 120)];
    const direct = new Screen(cols, rows, scrollback);
    const fed = new Screen(cols, rows, scrollback);
    const directReplies: string[] = [];
    const fedReplies: string[] = [];
    direct.onReply((d) => directReplies.push(d));
    fed.onReply((d) => fedReplies.push(d));
    for (const chunk of chunks(random, randomStream(random))) {
      direct.terminal.write(chunk);
      fed.write(chunk);
      // Now and then let time pass, as output arrives over time: held runs are handed over by the timer or behind a parse.
      if (random.int(0, 6) === 0) await new Promise((resolve) => setTimeout(resolve, random.int(0, 15)));
    }
    const before = await fed.whenParsed(() => observe(fed, fedReplies));
    t.deepEqual(before, await direct.whenParsed(() => observe(direct, directReplies)), `seed ${seed}, ${cols}×${rows}, scrollback ${scrollback}`);
    direct.terminal.write(PROBE);
    fed.write(PROBE);
    t.deepEqual(await fed.whenParsed(() => observe(fed, fedReplies)), await direct.whenParsed(() => observe(direct, directReplies)), `seed ${seed}, after the probe`);
    skipped += fed.feed.skippedBytes;
    direct.dispose();
    fed.dispose();
  }
  t.true(skipped > 1_000_000, `the floods were skipped in part (${skipped} bytes), so the comparison covered skipping`);
});

/** Feeds the same writes to a screen that parses every byte and to one through its feed; a pause lets the feed hand over what it holds. */
async function bothScreens(size: [number, number, number], writes: (string | 'pause')[]) {
  const direct = new Screen(...size);
  const fed = new Screen(...size);
  for (const w of writes) {
    if (w === 'pause') {
      await new Promise((resolve) => setTimeout(resolve, 30));
      continue;
    }
    direct.terminal.write(bytes(w));
    fed.write(bytes(w));
  }
  const result = { fed: await fed.whenParsed(() => observe(fed, [])), direct: await direct.whenParsed(() => observe(direct, [])), skipped: fed.feed.skippedBytes };
  direct.dispose();
  fed.dispose();
  return result;
}

const OLD_ROWS = (rows: number): string => Array.from({ length: rows }, (_, i) => `${i}`.padEnd(39, 'O')).join('\r\n');

test('a flood that starts with the cursor at the top leaves no line it overwrote in the scrollback', async (t) => {
  // The cursor at the top: the flood's first rows lines overwrite old rows in place before anything scrolls.
  const lines = (n: number): string => 'short\r\n'.repeat(n);
  const { fed, direct, skipped } = await bothScreens([40, 10, 20], [OLD_ROWS(10), '\x1b[H', 'pause', lines(45), 'pause']);
  t.true(skipped > 0, 'the flood was skipped in part');
  t.deepEqual(fed, direct);
});

test('a flood below a scroll region, which never scrolls, is parsed whole', async (t) => {
  // Below the region a line feed does not scroll: every line lands on the last row over the longer ones before.
  const flood = `${'L'.repeat(39)}\r\n`.repeat(200) + 'short\r\n'.repeat(200);
  const { fed, direct, skipped } = await bothScreens([40, 10, 20], ['\x1b[3;6r\x1b[10;1H', 'pause', flood, 'pause']);
  t.is(skipped, 0);
  t.deepEqual(fed, direct);
});

test('a flood of text is mostly not parsed, and the screen ends with its last lines', async (t) => {
  const screen = new Screen(80, 24, 1000);
  const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'x'.repeat(60)}\r\n`).join('');
  const data = Buffer.from(lines);
  for (let at = 0; at < data.length; at += 65536) screen.write(data.subarray(at, at + 65536));
  const text = await screen.whenParsed(() => screenText(screen, 1000));
  t.true(screen.feed.skippedBytes > data.length / 2, `${screen.feed.skippedBytes} of ${data.length} bytes skipped`);
  t.regex(text, /line 59999 x+$/);
  t.regex(text, /^line 58977 /, 'the scrollback holds 1000 lines above the 23 full rows and the empty last one');
  screen.dispose();
});
