// Runs several tools' measurements interleaved: one warm-up round, then
// `reps` rounds, each in a rotated order, so a burst of load from elsewhere
// on the machine hits every tool alike instead of one tool's whole series.

/**
 * @param {number} reps
 * @param {Record<string, () => Promise<number>>} tools each returns one sample (ms)
 * @returns {Promise<Record<string, number[]>>}
 */
export async function alternate(reps, tools, { warmup = 1, onRound } = {}) {
  const names = Object.keys(tools);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = -warmup; round < reps; round++) {
    const offset = ((round % names.length) + names.length) % names.length;
    const order = names.slice(offset).concat(names.slice(0, offset));
    for (const name of order) {
      const ms = await tools[name]();
      if (round >= 0) samples[name].push(ms);
    }
    onRound?.(round);
  }
  return samples;
}
