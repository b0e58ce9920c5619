/** Stable error codes: scripts match on these, so never rename one. */
export const ERROR_CODES = [
  'E_USAGE',
  'E_NOT_FOUND',
  'E_AMBIGUOUS',
  'E_NAME_TAKEN',
  'E_SPAWN',
  'E_NOT_RUNNING',
  'E_TIMEOUT',
  'E_PROTOCOL',
  'E_VERSION',
  'E_DAEMON_UNAVAILABLE',
  'E_PERMISSION',
  'E_INTERNAL',
  /** Events asked for (`--since`) are older than what the rotated events log still holds. */
  'E_GAP',
  /** A follower read too slowly and its bounded queue overflowed; resume with `--since`. */
  'E_OVERFLOW',
  /** ccx's own directories or socket cannot be used as they are (a file in the way, a path too long, no space). */
  'E_SETUP',
  /** The session is taken (another caller's turn, `--no-queue`) or its input queue is full. */
  'E_BUSY',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** Extra machine-readable detail, e.g. the candidates of an ambiguous prefix. */
  details?: unknown;
}

/** An error meant for the user: it has a stable code and says what to do. */
export class CcxError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, hint?: string, details?: unknown) {
    super(message);
    this.name = 'CcxError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }

  toPayload(): ErrorPayload {
    const payload: ErrorPayload = { code: this.code, message: this.message };
    if (this.hint !== undefined) payload.hint = this.hint;
    if (this.details !== undefined) payload.details = this.details;
    return payload;
  }

  static fromPayload(payload: ErrorPayload): CcxError {
    return new CcxError(payload.code, payload.message, payload.hint, payload.details);
  }
}

export function isCcxError(error: unknown): error is CcxError {
  return error instanceof CcxError;
}

/** Exit codes of `ccx`, as documented in design.md. */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  DAEMON_UNAVAILABLE: 4,
  TIMEOUT: 124,
  /** `wait` (and `send --wait`): the session ended while waiting for something other than its exit. */
  SESSION_ENDED: 125,
  /** `run`: the program exists but cannot be executed (as a shell reports it). */
  NOT_EXECUTABLE: 126,
  /** `run`: no such program (as a shell reports it). */
  COMMAND_NOT_FOUND: 127,
} as const;

const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = {
  E_USAGE: EXIT.USAGE,
  E_NOT_FOUND: EXIT.NOT_FOUND,
  E_DAEMON_UNAVAILABLE: EXIT.DAEMON_UNAVAILABLE,
  E_TIMEOUT: EXIT.TIMEOUT,
  // A path or socket ccx refuses, or cannot create: the daemon cannot be reached until the user fixes it.
  E_PERMISSION: EXIT.DAEMON_UNAVAILABLE,
  E_SETUP: EXIT.DAEMON_UNAVAILABLE,
};

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_BY_CODE[code] ?? EXIT.ERROR;
}
