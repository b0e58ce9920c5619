/** Unit tests of packages/shared/src/keys.ts: the bytes `send --key` writes for each key spec. */
import test from 'ava';
import { decodeEscapes, keyBytes } from '../../packages/shared/src/keys.js';

test('keyBytes: any single character is itself', (t) => {
  for (const ch of ['q', '3', ':', 'G', '/', 'é', '\\']) t.is(keyBytes(ch), ch);
});

test('keyBytes: F1–F12 are xterm bytes', (t) => {
  t.is(keyBytes('F1'), '\x1bOP');
  t.is(keyBytes('f4'), '\x1bOS');
  t.is(keyBytes('F5'), '\x1b[15~');
  t.is(keyBytes('F10'), '\x1b[21~');
  t.is(keyBytes('F12'), '\x1b[24~');
});

test('keyBytes: S-Tab is back tab and C-Space is NUL', (t) => {
  t.is(keyBytes('S-Tab'), '\x1b[Z');
  t.is(keyBytes('C-Space'), '\0');
});

test('keyBytes: M-KEY is Escape, then KEY', (t) => {
  t.is(keyBytes('M-x'), '\x1bx');
  t.is(keyBytes('M-Enter'), '\x1b\r');
  t.is(keyBytes('M-C-a'), '\x1b\x01');
  t.is(keyBytes('M-:'), '\x1b:');
});

test('keyBytes: names, control chords and escaped literals', (t) => {
  t.is(keyBytes('Enter'), '\r');
  t.is(keyBytes('C-c'), '\x03');
  t.is(keyBytes('\\x1b[A'), '\x1b[A');
});

test('keyBytes: F13, a bare M-, an unknown modifier and the empty string are unknown keys', (t) => {
  for (const bad of ['F13', 'M-', 'Hyper-x', '']) t.throws(() => keyBytes(bad), { message: /unknown key/ });
});

test('key names are case-insensitive', (t) => {
  t.is(keyBytes('enter'), '\r');
  t.is(keyBytes('ESCAPE'), '\x1b');
  t.is(keyBytes('PageDown'), '\x1b[6~');
});

test('arrows, Home/End and the editing keys are xterm normal-mode bytes', (t) => {
  t.deepEqual(['Up', 'Down', 'Right', 'Left', 'Home', 'End'].map(keyBytes), ['\x1b[A', '\x1b[B', '\x1b[C', '\x1b[D', '\x1b[H', '\x1b[F']);
  t.deepEqual(['Delete', 'Insert', 'PageUp', 'Backspace', 'Tab', 'Space', 'Esc', 'BTab'].map(keyBytes), ['\x1b[3~', '\x1b[2~', '\x1b[5~', '\x7f', '\t', ' ', '\x1b', '\x1b[Z']);
});

test('C-a … C-z are the control codes 1 … 26, in either case', (t) => {
  t.is(keyBytes('C-a'), '\x01');
  t.is(keyBytes('C-z'), '\x1a');
  t.is(keyBytes('C-D'), '\x04');
  t.is(keyBytes('C-['), '\x1b');
});

test('an unknown key is a usage error whose hint lists the key names', (t) => {
  const error = t.throws(() => keyBytes('Hyper-x')) as unknown as { code: string; hint: string };
  t.is(error.code, 'E_USAGE');
  t.regex(error.hint, /F1 … F12/);
});

test('decodeEscapes turns \\e, \\xNN, \\r, \\n, \\t, \\0 and \\\\ into their characters', (t) => {
  t.is(decodeEscapes('\\e[A\\x41\\r\\n\\t\\0\\\\'), '\x1b[AA\r\n\t\0\\');
});

test('decodeEscapes leaves other backslashes and bad hex as they are', (t) => {
  t.is(decodeEscapes('a\\qb\\xZZ'), 'a\\qb\\xZZ');
});
