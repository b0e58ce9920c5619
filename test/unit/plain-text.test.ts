/** Unit tests of packages/shared/src/plain-text.ts: terminal output as the plain text a reader sees. */
import test from 'ava';
import { PlainText, toPlainText } from '../../packages/shared/src/plain-text.js';

test('escape sequences go', (t) => {
  t.is(toPlainText('\x1b[1;31mred\x1b[0m\r\n\x1b]0;title\x07next\x1b(B line\r\n'), 'red\nnext line\n');
});

test('CR LF becomes LF', (t) => {
  t.is(toPlainText('progress\r\ndone\r\n'), 'progress\ndone\n');
});

test('line editing is applied: backspace, CR, erase-in-line, cursor left/right (readline redraws)', (t) => {
  // bash echoing a bracketed paste: highlighted, then moved back over and rewritten.
  t.is(toPlainText('\x1b[7mecho hi\x1b[27m\b\b\b\b\b\b\becho hi\r\n'), 'echo hi\n');
  t.is(toPlainText('$ \x1b[7mls\x1b[27m\r\x1b[C\x1b[Cls\r\n'), '$ ls\n');
  t.is(toPlainText('progress 10%\rprogress 100%\r\n'), 'progress 100%\n');
  t.is(toPlainText('abcdef\x1b[3D\x1b[K!\n'), 'abc!\n');
});

test('chunks may split escape sequences and UTF-8 characters', (t) => {
  const plain = new PlainText();
  const bytes = Buffer.from('\x1b[31mgrün\x1b[0m ✓\n');
  let out = '';
  for (const byte of bytes) out += plain.push(Buffer.from([byte]));
  t.is(out, 'grün ✓\n');
});

test('an unterminated last line is the partial one, and end() returns it', (t) => {
  const plain = new PlainText();
  plain.push('done\n');
  plain.push('tail');
  t.is(plain.partial, 'tail');
  t.is(plain.end(), 'tail');
});

test('an escape sequence that never ends is not held (and re-scanned) forever', (t) => {
  const text = new PlainText();
  for (let i = 0; i < 100; i++) text.push('\x1b]0;' + 'x'.repeat(1000));
  // Past the limit the unterminated introducer is dropped and the bytes read as text.
  t.true(text.partial.length > 90_000);
  // What is still held is at most one limit's worth, and a terminator releases the line.
  t.true(text.push('\x07\n').length > 90_000);
});

test('erase-in-line 1 blanks up to the cursor, 2 the whole line', (t) => {
  t.is(toPlainText('abcdef\x1b[3D\x1b[1K\n'), '    ef\n');
  t.is(toPlainText('abcdef\x1b[2Kxy\n'), '      xy\n');
});

test('delete, insert and erase characters edit the line at the cursor', (t) => {
  t.is(toPlainText('abcdef\x1b[4D\x1b[2P\n'), 'abef\n');
  t.is(toPlainText('abcdef\x1b[4D\x1b[2@XY\n'), 'abXYcdef\n');
  t.is(toPlainText('abcdef\x1b[4D\x1b[2X\n'), 'ab  ef\n');
});

test('cursor to column (CSI G) writes over from there', (t) => {
  t.is(toPlainText('hello\x1b[2GEY\n'), 'hEYlo\n');
});

test('writing past the end of the line after cursor-right pads with spaces', (t) => {
  t.is(toPlainText('ab\x1b[3Cc\n'), 'ab   c\n');
});

test('private-mode CSI sequences (cursor show/hide, bracketed paste) leave the text alone', (t) => {
  t.is(toPlainText('\x1b[?25lab\x1b[?2004hc\x1b[?25h\n'), 'abc\n');
});

test('OSC strings end at BEL or at ST', (t) => {
  t.is(toPlainText('a\x1b]0;title\x07b\x1b]2;other\x1b\\c\n'), 'abc\n');
});

test('other control characters print nothing, except a tab, which is kept', (t) => {
  t.is(toPlainText('a\x07b\x0ec\x0fd\te\n'), 'abcd\te\n');
});

test('backspace at the start of a line stays there', (t) => {
  t.is(toPlainText('\b\bab\n'), 'ab\n');
});

test('push returns only completed lines', (t) => {
  const plain = new PlainText();
  t.is(plain.push('one\ntw'), 'one\n');
  t.is(plain.push('o\n'), 'two\n');
});

test('partial is the line being written, empty once it is completed', (t) => {
  const plain = new PlainText();
  plain.push('one\ntw');
  t.is(plain.partial, 'tw');
  plain.push('o\n');
  t.is(plain.partial, '');
});

test('end() returns an empty string when the last line was completed', (t) => {
  const plain = new PlainText();
  plain.push('done\n');
  t.is(plain.end(), '');
});

test('an 8-bit CSI (0x9b) is an escape sequence too', (t) => {
  t.is(toPlainText('a\x9b31mb\n'), 'ab\n');
});
