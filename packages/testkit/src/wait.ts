/** Waiting on conditions: every wait has a deadline and says what it waited for. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a truthy `T` can be (`waitFor(() => !isAlive(pid))` resolves with `true`). */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Polls `probe` every `everyMs` until it returns something truthy; throws after `timeoutMs` with the last value. */
export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition', everyMs = 50): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as Truthy<T>;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
}

/** Rejects if `promise` has not settled within `ms`: no step may wait forever. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `flow` once, for every test that reads its result: an expensive
 * story (a PTY session, a webhook delivery, a real Claude Code run) that
 * several tests, one claim each, assert on. If the flow fails, each of them fails.
 */
export function once<T>(flow: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= flow());
}
