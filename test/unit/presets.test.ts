/** Unit tests of packages/daemon/src/presets/presets.ts: built-in presets and the user's from the config file. */
import test from 'ava';
import { BUILTIN_PRESET_NAMES } from '@ccx/shared';
import { BUILTIN_PRESETS, DEFAULT_PRESET_FIELDS, findPreset, resolvePresets } from '../../packages/daemon/src/presets/presets.js';

const FILE = '/home/me/.config/ccx/config.json';

test('the built-in presets are exactly the names shared lists for the CLI', (t) => {
  t.deepEqual(Object.keys(BUILTIN_PRESETS).sort(), [...BUILTIN_PRESET_NAMES].sort());
  for (const [key, preset] of Object.entries(BUILTIN_PRESETS)) t.is(preset.name, key);
});

test('no user presets: the built-in ones', (t) => {
  t.deepEqual(resolvePresets(undefined, FILE), { ...BUILTIN_PRESETS });
});

test('a user preset named like a built-in one changes only the fields it gives', (t) => {
  const shell = resolvePresets({ shell: { idleMs: 200 } }, FILE).shell!;
  t.is(shell.idleMs, 200);
  t.is(shell.prompt, BUILTIN_PRESETS.shell.prompt);
});

test('a new user preset starts from the defaults', (t) => {
  const mine = resolvePresets({ mine: { prompt: '^> $' } }, FILE).mine!;
  t.like(mine, { ...DEFAULT_PRESET_FIELDS, name: 'mine', prompt: '^> $' });
});

test('extends starts from another preset, even one defined later in the file', (t) => {
  const presets = resolvePresets({ a: { extends: 'b', idleMs: 5 }, b: { extends: 'python', enterDelayMs: 7 } }, FILE);
  t.like(presets.a, { prompt: BUILTIN_PRESETS.python.prompt, enterDelayMs: 7, idleMs: 5, name: 'a' });
});

test('presets that extend each other in a cycle are a usage error naming them', (t) => {
  const error = t.throws(() => resolvePresets({ a: { extends: 'b' }, b: { extends: 'a' } }, FILE)) as unknown as { code: string; message: string };
  t.is(error.code, 'E_USAGE');
  t.regex(error.message, /cycle: a, b/);
});

test('a bad field is a usage error naming the file, the preset and the field', (t) => {
  for (const bad of [{ idleMs: -1 }, { prompt: '(' }, { interruptKey: 'F13' }, { answer: 'both' }, { colour: 'red' }]) {
    const error = t.throws(() => resolvePresets({ p: bad }, FILE)) as unknown as { code: string; message: string };
    t.is(error.code, 'E_USAGE', JSON.stringify(bad));
    t.true(error.message.startsWith(`config file ${FILE}: preset p`), error.message);
  }
});

test('an unknown preset is a usage error listing the known ones', (t) => {
  const error = t.throws(() => findPreset({ ...BUILTIN_PRESETS }, 'nope')) as unknown as { code: string; hint: string };
  t.is(error.code, 'E_USAGE');
  t.regex(error.hint, /shell, python, claude, codex/);
});
