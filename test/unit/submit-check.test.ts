/**
 * Unit tests of promptInBox (packages/daemon/src/session/submit-check.ts):
 * whether a prompt still sits in the input box, on screens as Claude Code
 * 2.1 draws them. Enter is pressed again only while it does.
 */
import test from 'ava';
import { BUILTIN_PRESETS } from '../../packages/daemon/src/presets/presets.js';
import { promptInBox } from '../../packages/daemon/src/session/submit-check.js';

const inputBox = new RegExp(BUILTIN_PRESETS.claude!.inputBox!, 'm');
const rule = '─'.repeat(60);
const footer = '  ⏵⏵ auto mode on (shift+tab to cycle)';
const screen = (...lines: string[]) => [' ▐▛███▜▌   Claude Code v2.1.332', '', ...lines].join('\n');
const prompt = 'run echo approved-run > out.txt';

test('a prompt typed but not taken is in the box: Enter may be pressed again', (t) => {
  t.true(promptInBox(screen(rule, `❯ ${prompt}`, rule, footer), inputBox, prompt));
  // Wrapped over two lines, the blanks of the wrap ignored.
  t.true(promptInBox(screen(rule, '❯ say first line', '  second line', rule, footer), inputBox, 'say first line\nsecond line'));
});

test('a prompt taken is above an empty box: Enter is not pressed again', (t) => {
  t.false(promptInBox(screen(`❯ ${prompt}`, '', '✽ Vibing… (3s) · esc to interrupt', '', rule, '❯ ', rule, footer), inputBox, prompt));
});

test('a permission dialog instead of the box: Enter, which is "1. Yes" there, is not pressed again', (t) => {
  const dialog = screen(`❯ ${prompt}`, '', rule, ' Bash command', '   echo approved-run > out.txt', ' Do you want to proceed?', ' ❯ 1. Yes', '   2. No', ' Esc to cancel');
  t.false(promptInBox(dialog, inputBox, prompt));
});

test('a box that shows a paste as [Pasted text …], or a prompt of blanks, cannot tell', (t) => {
  t.is(promptInBox(screen(rule, '❯ [Pasted text #1 +40 lines]', rule, footer), inputBox, 'a\n'.repeat(40)), undefined);
  t.is(promptInBox(screen(rule, '❯ ', rule, footer), inputBox, '  \n '), undefined);
});
