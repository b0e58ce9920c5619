/**
 * setTimeout for any duration. Node's timers hold at most 2^31-1 ms (~24.8
 * days); a longer delay fires after 1 ms with a TimeoutOverflowWarning, which
 * made `--timeout 30d` time out at once. Past that limit the delay is chained
 * in steps of at most MAX_TIMER_MS.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimeout {
  /** Stops the timer; calling it again, or after it fired, does nothing. */
  dispose(): void;
}

export function setLongTimeout(callback: () => void, delayMs: number, options: { unref?: boolean } = {}): LongTimeout {
  const deadline = Date.now() + delayMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    const left = deadline - Date.now();
    if (left <= MAX_TIMER_MS) {
      timer = setTimeout(callback, Math.max(0, left));
    } else {
      timer = setTimeout(arm, MAX_TIMER_MS);
    }
    if (options.unref) timer.unref();
  };
  arm();
  return { dispose: () => clearTimeout(timer) };
}
