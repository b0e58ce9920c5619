// The drills `pnpm stress` runs, in order, with their full and smoke scales.
// Environment overrides (STRESS_*) scale a drill up or down.
import { fuzzDrill, FUZZ_DEFAULTS, FUZZ_SMOKE } from './fuzz.mjs';

const num = (value, fallback) => (value === undefined || value === '' ? fallback : Number(value));

export const DRILLS = [
  {
    name: 'fuzz',
    run: fuzzDrill,
    options: ({ smoke, env }) => {
      const base = smoke ? FUZZ_SMOKE : FUZZ_DEFAULTS;
      return { ...base, inputs: num(env.STRESS_FUZZ_INPUTS, base.inputs), seed: num(env.STRESS_SEED, base.seed) };
    },
  },
];
