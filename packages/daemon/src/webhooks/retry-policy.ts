import type { PostResult } from './http-post.js';

export type Outcome = 'delivered' | 'retry' | 'rejected';

/**
 * 2xx: delivered. Network errors, timeouts, 5xx, 408 and 429: worth another
 * try. Any other status (a 3xx is not followed; a 4xx will not change by
 * itself): the delivery is given up and counted as rejected.
 */
export function classify(result: PostResult): Outcome {
  if (result.status === undefined) return 'retry';
  if (result.status >= 200 && result.status < 300) return 'delivered';
  if (result.status >= 500 || result.status === 408 || result.status === 429) return 'retry';
  return 'rejected';
}

/**
 * Exponential backoff with "equal jitter": after the n-th failed attempt in a
 * row, wait between half and all of min(max, base × 2^(n-1)) — spread out so
 * many daemons do not hammer a recovering receiver in step, yet never less
 * than half the nominal delay. A receiver's Retry-After is honoured up to
 * the maximum.
 */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number, random: () => number, retryAfterMs?: number): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  const jittered = nominal / 2 + random() * (nominal / 2);
  return Math.round(Math.min(maxMs, Math.max(jittered, retryAfterMs ?? 0)));
}
