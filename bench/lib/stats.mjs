// Order statistics for timing samples. Medians and high percentiles, never
// means: one stalled run on a shared machine must not move the headline.

/** The q-quantile (0..1) of `samples`, linear between the two nearest ranks. */
export function quantile(samples, q) {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (samples) => quantile(samples, 0.5);

/** What the report keeps of a sample set: n, median, p90, p99, min, max. */
export function summarize(samples) {
  return {
    n: samples.length,
    median: median(samples),
    p90: quantile(samples, 0.9),
    p99: quantile(samples, 0.99),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** `a / b`, rounded for the report; NaN-safe. */
export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN;
  return Math.round((a / b) * 100) / 100;
}

/** MB/s for `bytes` in `ms` (MB = 10^6 bytes, as disk and network figures are). */
export function mbPerSecond(bytes, ms) {
  return Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
}
