/**
 * Unit tests of packages/daemon/src/wait/screen-answer.ts: what a TUI drew
 * since a mark, rebuilt from its screens (screens as Claude Code 2.1 draws
 * them: the whole screen redrawn, nothing kept in the scrollback).
 */
import test from 'ava';
import { BUILTIN_PRESETS } from '../packages/daemon/dist/presets/presets.js';
import { DrawnTranscript, dropEcho, overlay, screenAnswer } from '../packages/daemon/dist/wait/screen-answer.js';

const claude = BUILTIN_PRESETS.claude!;
const reading = { inputBox: new RegExp(claude.inputBox!, 'm'), chrome: new RegExp(claude.chrome!, 'm'), messageMark: new RegExp(claude.messageMark!, 'm') };
const BOX = ['                                        ◐ medium · /effort', '─'.repeat(40), '❯ ', '─'.repeat(40), '  ⏵⏵ auto mode on'];

/** A 12-row screen: its last rows of `history`, blank filler, then the input box. */
function screen(history: string[], rows = 12): string {
  const room = rows - BOX.length;
  const shown = history.slice(-room);
  return [...shown, ...Array(room - shown.length).fill(''), ...BOX].join('\n');
}

function turn(n: number, answer = [`● ANSWER ${n}`]): string[] {
  return [`❯ say ANSWER ${n}`, '', ...answer, '', `✻ Baked for 0s · done 10:53 PM`, ''];
}

test('the answer of a turn is what was drawn after the screen at the mark, without the echo, the mark, the chrome or the input box', (t) => {
  const before = turn(1);
  const transcript = new DrawnTranscript(screen(before), reading);
  transcript.update(screen([...before, ...turn(2)]));
  const drawn = transcript.drawn('say ANSWER 2');
  t.is(drawn.split('\n')[0], '● ANSWER 2');
  t.is(screenAnswer(drawn, reading), 'ANSWER 2');
});

test('an answer equal to an earlier one still counts as new (not a set difference of lines)', (t) => {
  const before = turn(1);
  const transcript = new DrawnTranscript(screen(before, 20), reading);
  // The same prompt and answer again, below the first.
  transcript.update(screen([...before, ...turn(1)], 20));
  t.is(screenAnswer(transcript.drawn('say ANSWER 1'), reading), 'ANSWER 1');
});

test('lines that left the top of the screen between two screens stay in the transcript', (t) => {
  const long = Array.from({ length: 10 }, (_, i) => (i === 0 ? '● line 0' : `  line ${i}`));
  const transcript = new DrawnTranscript(screen(turn(1)), reading);
  const all = [...turn(1), ...turn(2, long)];
  // Screens of 7 rows of history as the answer streams in: each scrolls the one before partly off the top.
  for (const end of [12, 16, all.length]) transcript.update(screen(all.slice(0, end)));
  t.is(screenAnswer(transcript.drawn('say ANSWER 2'), reading), Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n'));
});

test('a screen whose top rows were redrawn differently (an animated logo) still lines up with the transcript', (t) => {
  const lines = ['logo A', 'title', 'a', 'b', 'c'];
  const { at, skip } = overlay(lines, ['logo B', 'title', 'a', 'b', 'c', 'd']);
  t.deepEqual({ at, skip }, { at: 1, skip: 1 });
});

test("the echo is taken off when its start already scrolled away: the lines left are each part of what was sent", (t) => {
  const sent = `say ${Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ')}`;
  t.deepEqual(dropEcho(['  w50 w51 w52', '  w53 w54 w55 w56 w57 w58 w59', '', '● answer'], sent), ['', '● answer']);
  t.deepEqual(dropEcho(['', '❯ say hi there', '', '● hi there'], 'say hi there'), ['', '● hi there']);
});

test('a prompt still sitting in the input box (not taken yet) is nothing drawn, not the box\'s bottom rule and footer', (t) => {
  const before = turn(1);
  const transcript = new DrawnTranscript(screen(before), reading);
  // The text was typed, Enter not taken: the box holds the prompt, nothing else changed.
  const typed = [...before.slice(-2), '─'.repeat(40), '❯ say first line', '  second line', '─'.repeat(40), '  ⏵⏵ auto mode on'];
  transcript.update([...turn(1), ...typed.slice(2)].join('\n'));
  t.is(screenAnswer(transcript.drawn('say first line\nsecond line'), reading), '');
});
