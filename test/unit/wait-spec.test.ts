/** Unit tests of packages/daemon/src/wait/wait-spec.ts: what a wait waits for. */
import test from 'ava';
import type { Preset } from '@ccx/shared';
import { BUILTIN_PRESETS, DEFAULT_PRESET_FIELDS } from '../../packages/daemon/src/presets/presets.js';
import { untilPatterns, waitSpec } from '../../packages/daemon/src/wait/wait-spec.js';

const none: Preset = { name: 'none', description: '', ...DEFAULT_PRESET_FIELDS };

test('several until patterns keep their order, until-text strings after them', (t) => {
  const list = untilPatterns(['Build OK', 'error: (.*)'], ['a.b+ (USD)']);
  t.deepEqual(list.map((p) => [p.index, p.source]), [[0, 'Build OK'], [1, 'error: (.*)'], [2, 'a.b+ (USD)']]);
  t.is(untilPatterns('one', undefined).length, 1);
});

test('until-text strings are matched literally, not as regexes', (t) => {
  const list = untilPatterns(['Build OK', 'error: (.*)'], ['a.b+ (USD)']);
  t.true(list[2]!.re.test('cost: a.b+ (USD)'));
  t.false(list[2]!.re.test('axb+ (USD)'));
});

test('a bad --until is a usage error that points at --until-text', (t) => {
  const error = t.throws(() => untilPatterns(['(unclosed'], undefined)) as unknown as { code: string; hint: string };
  t.is(error.code, 'E_USAGE');
  t.regex(error.hint, /--until-text/);
});

test('a plain wait checks the screen at once', (t) => {
  t.true(waitSpec({ until: 'x', screen: true }, none).screenFirst);
});

test('the wait of a send does not check the screen at once', (t) => {
  t.false(waitSpec({ until: 'x', screen: true, echo: 'sent' }, none).screenFirst);
});

test('with no condition the preset decides', (t) => {
  const python = BUILTIN_PRESETS.python!;
  t.truthy(waitSpec({}, python).prompt);
  t.is(waitSpec({}, none).idleMs, 1_000);
  t.truthy(waitSpec({}, python).echoPrompt);
});

test("explicit conditions replace the preset's", (t) => {
  const python = BUILTIN_PRESETS.python!;
  t.is(waitSpec({ untilText: ['done'] }, python).prompt, undefined);
});

test('from, exit and timeoutMs are passed through as given', (t) => {
  const spec = waitSpec({ from: 120, exit: true, timeoutMs: 5_000 }, none);
  t.is(spec.from, 120);
  t.true(spec.exit);
  t.is(spec.timeoutMs, 5_000);
});

test('without from, the wait starts at the end of the output now', (t) => {
  t.is(waitSpec({}, none).from, undefined);
});

test("capture auto takes the preset's answer mode; no capture is none", (t) => {
  t.is(waitSpec({ capture: 'auto' }, { ...none, answer: 'screen' }).capture, 'screen');
  t.is(waitSpec({}, none).capture, 'none');
  t.is(waitSpec({ capture: 'output' }, { ...none, answer: 'screen' }).capture, 'output');
});

test('until patterns are matched on the output, or on the screen with screen', (t) => {
  t.is(waitSpec({ until: 'x' }, none).patterns?.on, 'output');
  t.is(waitSpec({ until: 'x', screen: true }, none).patterns?.on, 'screen');
  t.is(waitSpec({ until: 'x' }, none).patterns?.reason, 'match');
});

test("ready waits for the preset's ready pattern on the screen", (t) => {
  const spec = waitSpec({ ready: true }, { ...none, ready: 'READY>' });
  t.is(spec.patterns?.on, 'screen');
  t.is(spec.patterns?.reason, 'ready');
  t.is(spec.patterns?.list[0]?.source, 'READY>');
});

test("ready without a ready pattern falls back to the preset's prompt, then to its idle time", (t) => {
  t.truthy(waitSpec({ ready: true }, { ...none, prompt: '\\$ $' }).prompt);
  const idle = waitSpec({ ready: true }, { ...none, idleMs: 2_500 });
  t.is(idle.prompt, undefined);
  t.is(idle.idleMs, 2_500);
});

test('an explicit idle time is one of the conditions', (t) => {
  const spec = waitSpec({ idleMs: 300 }, BUILTIN_PRESETS.python!);
  t.is(spec.idleMs, 300);
  t.is(spec.prompt, undefined, 'an explicit condition replaces the preset prompt');
});

test('only a wait where the preset decides is an agent turn', (t) => {
  t.true(waitSpec({}, none).agentTurn);
  t.false(waitSpec({ until: 'x' }, none).agentTurn);
  t.false(waitSpec({ exit: true }, none).agentTurn);
  t.false(waitSpec({ ready: true }, none).agentTurn);
});

test('a preset prompt that is not a valid regex is a usage error naming the preset', (t) => {
  const error = t.throws(() => waitSpec({}, { ...none, name: 'broken', prompt: '(' })) as unknown as { code: string; message: string };
  t.is(error.code, 'E_USAGE');
  t.regex(error.message, /prompt of preset broken/);
});

test('the echo of a send is kept for cutting the answer', (t) => {
  const spec = waitSpec({ echo: 'print(1)' }, BUILTIN_PRESETS.python!);
  t.is(spec.echo, 'print(1)');
  t.true(spec.echoEnter);
  t.truthy(spec.echoPrompt);
});
