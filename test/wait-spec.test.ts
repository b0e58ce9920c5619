/** Unit tests of packages/daemon/src/wait/wait-spec.ts: what a wait waits for. */
import test from 'ava';
import { BUILTIN_PRESETS, DEFAULT_PRESET_FIELDS, type Preset } from '@ccx/shared';
import { untilPatterns, waitSpec } from '../packages/daemon/dist/wait/wait-spec.js';

const none: Preset = { name: 'none', description: '', ...DEFAULT_PRESET_FIELDS };

test('several until patterns keep their order; until-text strings come after them, matched literally', (t) => {
  const list = untilPatterns(['Build OK', 'error: (.*)'], ['a.b+ (USD)']);
  t.deepEqual(list.map((p) => [p.index, p.source]), [[0, 'Build OK'], [1, 'error: (.*)'], [2, 'a.b+ (USD)']]);
  t.true(list[2]!.re.test('cost: a.b+ (USD)'));
  t.false(list[2]!.re.test('axb+ (USD)'));
  t.is(untilPatterns('one', undefined).length, 1);
});

test('a bad --until is a usage error that points at --until-text', (t) => {
  const error = t.throws(() => untilPatterns(['(unclosed'], undefined)) as { code: string; hint: string };
  t.is(error.code, 'E_USAGE');
  t.regex(error.hint, /--until-text/);
});

test('a plain wait checks the screen at once; the wait of a send does not', (t) => {
  t.true(waitSpec({ until: 'x', screen: true }, none).screenFirst);
  t.false(waitSpec({ until: 'x', screen: true, echo: 'sent' }, none).screenFirst);
});

test('with no condition the preset decides; explicit conditions replace it', (t) => {
  const python = BUILTIN_PRESETS.python!;
  t.truthy(waitSpec({}, python).prompt);
  t.is(waitSpec({ untilText: ['done'] }, python).prompt, undefined);
  t.is(waitSpec({}, none).idleMs, 1_000);
  t.truthy(waitSpec({}, python).echoPrompt);
});
