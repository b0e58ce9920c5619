import test from 'ava';
import { PlainText, toPlainText } from '@ccx/shared';

test('escape sequences go; CR LF becomes LF', (t) => {
  t.is(toPlainText('\x1b[1;31mred\x1b[0m\r\n\x1b]0;title\x07next\x1b(B line\r\n'), 'red\nnext line\n');
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
