// The drills `pnpm stress` runs, in order, with their full and smoke scales.
// Environment overrides (STRESS_*) scale a drill up or down.
import { claudePromptsDrill, CLAUDE_DEFAULTS, CLAUDE_SMOKE } from './claude-prompts.mjs';
import { diskFullDrill, DISK_DEFAULTS, DISK_SMOKE } from './disk-full.mjs';
import { faultsDrill, FAULTS_DEFAULTS, FAULTS_SMOKE } from './faults.mjs';
import { fuzzDrill, FUZZ_DEFAULTS, FUZZ_SMOKE } from './fuzz.mjs';
import { inputAckDrill, ACK_DEFAULTS, ACK_SMOKE } from './input-ack.mjs';
import { inputScaleDrill, INPUT_DEFAULTS, INPUT_SMOKE } from './input-scale.mjs';
import { limitsDrill, LIMITS_DEFAULTS, LIMITS_SMOKE } from './limits.mjs';
import { soakDrill, SOAK_DEFAULTS, SOAK_SMOKE } from './soak.mjs';
import { webSoakDrill, WEB_SOAK_DEFAULTS, WEB_SOAK_SMOKE } from './web-soak.mjs';

const num = (value, fallback) => (value === undefined || value === '' ? fallback : Number(value));

/** Full or smoke options, with the seed and any scale overrides from the environment. */
function scaled(full, smoke, overrides) {
  return ({ smoke: isSmoke, env }) => {
    const base = isSmoke ? smoke : full;
    const out = { ...base, seed: num(env.STRESS_SEED, base.seed) };
    for (const [key, name] of Object.entries(overrides)) out[key] = num(env[name], base[key]);
    return out;
  };
}

export const DRILLS = [
  { name: 'fuzz', run: fuzzDrill, options: scaled(FUZZ_DEFAULTS, FUZZ_SMOKE, { inputs: 'STRESS_FUZZ_INPUTS' }) },
  { name: 'soak', run: soakDrill, options: scaled(SOAK_DEFAULTS, SOAK_SMOKE, { sessions: 'STRESS_SOAK_SESSIONS', followers: 'STRESS_SOAK_FOLLOWERS' }) },
  { name: 'faults', run: faultsDrill, options: scaled(FAULTS_DEFAULTS, FAULTS_SMOKE, { kills: 'STRESS_FAULT_KILLS' }) },
  { name: 'disk-full', run: diskFullDrill, options: scaled(DISK_DEFAULTS, DISK_SMOKE, {}) },
  { name: 'limits', run: limitsDrill, options: scaled(LIMITS_DEFAULTS, LIMITS_SMOKE, { idleConnections: 'STRESS_LIMITS_CONNECTIONS', streams: 'STRESS_LIMITS_STREAMS' }) },
  { name: 'input', run: inputScaleDrill, options: scaled(INPUT_DEFAULTS, INPUT_SMOKE, { sends: 'STRESS_INPUT_SENDS', attached: 'STRESS_INPUT_ATTACHED' }) },
  { name: 'input-ack', run: inputAckDrill, options: scaled(ACK_DEFAULTS, ACK_SMOKE, { sends: 'STRESS_ACK_SENDS', killRounds: 'STRESS_ACK_KILLS' }) },
  { name: 'web-soak', run: webSoakDrill, options: scaled(WEB_SOAK_DEFAULTS, WEB_SOAK_SMOKE, { waves: 'STRESS_WEB_WAVES', sseClients: 'STRESS_WEB_SSE_CLIENTS' }) },
  { name: 'claude-prompts', run: claudePromptsDrill, options: scaled(CLAUDE_DEFAULTS, CLAUDE_SMOKE, { prompts: 'STRESS_CLAUDE_PROMPTS' }) },
];
