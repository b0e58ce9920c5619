/** Exit codes of the daemon process itself. Losing the start lock is not an error: another daemon serves. */
export const DAEMON_EXIT = { OK: 0, FATAL: 1, ALREADY_RUNNING: 0 } as const;
