// Repetition counts and sizes. The defaults keep a full run under ~10 minutes
// on a 2-core machine; BENCH_QUICK=1 is a smoke run of a minute or two.
// Every count can be overridden: BENCH_<NAME>=n, e.g. BENCH_THROUGHPUT_REPS=3.

const DEFAULTS = {
  roundTripReps: [20, 6],
  coldStartReps: [8, 2],
  throughputMB: [20, 4],
  throughputReps: [5, 2],
  fanOutReps: [2, 1],
  fanOutFollowers: ['1,10,50', '1,5'],
  echoProbes: [200, 40],
  exitProbes: [40, 8],
  scaleIdleSessions: [200, 20],
  scaleListReps: [10, 4],
  scaleParallelSessions: [50, 10],
  scaleParallelMB: [2, 1],
  scaleParallelReps: [2, 1],
  remoteReps: [10, 3],
  agentTurnReps: [10, 3],
};

const envName = (key) => `BENCH_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

export function readOptions(env = process.env) {
  const quick = env.BENCH_QUICK === '1';
  const opts = { quick };
  for (const [key, [full, small]] of Object.entries(DEFAULTS)) {
    const fromEnv = env[envName(key)];
    const fallback = quick ? small : full;
    opts[key] = typeof full === 'number' ? (fromEnv !== undefined && Number(fromEnv) > 0 ? Number(fromEnv) : fallback) : (fromEnv ?? fallback);
  }
  opts.fanOutFollowers = String(opts.fanOutFollowers).split(',').map(Number).filter((n) => n > 0);
  opts.only = env.BENCH_ONLY ? env.BENCH_ONLY.split(',').map((s) => s.trim()) : undefined;
  // A hard stop for the whole run: whatever hangs, the bench ends and cleans up.
  opts.deadlineMinutes = Number(env.BENCH_DEADLINE_MINUTES) > 0 ? Number(env.BENCH_DEADLINE_MINUTES) : 25;
  // Only a complete default run rewrites docs/benchmarks.md and latest.json.
  opts.official = !quick && !opts.only && !Object.keys(DEFAULTS).some((k) => env[envName(k)] !== undefined);
  return opts;
}

