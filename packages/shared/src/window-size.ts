/**
 * How a session's window size follows its attached clients, as tmux's
 * `window-size` option: `latest` the client that last attached, typed or
 * resized; `smallest` / `largest` the smallest / largest width and height
 * over the clients that can type; `manual` only `ccx resize` (and `start
 * --cols/--rows`) set it.
 */
export const WINDOW_SIZE_POLICIES = ['latest', 'smallest', 'largest', 'manual'] as const;
export type WindowSizePolicy = (typeof WINDOW_SIZE_POLICIES)[number];
export const DEFAULT_WINDOW_SIZE: WindowSizePolicy = 'latest';

export function isWindowSizePolicy(value: unknown): value is WindowSizePolicy {
  return typeof value === 'string' && (WINDOW_SIZE_POLICIES as readonly string[]).includes(value);
}
