/**
 * Webhook subscribers: the names and shapes the CLI, the daemon and receivers
 * share. No zod here: the CLI imports this at run time (for `--level` choices).
 */

/**
 * How much a subscriber hears:
 * - `status`: lifecycle (created, started, cancel steps, exit, status changes, errors, removal, daemon start/stop);
 * - `summary`: lifecycle plus busy/idle, input sent, clients attaching and detaching;
 * - `stream`: everything, session output included, batched by time and size.
 */
export const HOOK_LEVELS = ['status', 'summary', 'stream'] as const;
export type HookLevel = (typeof HOOK_LEVELS)[number];

/** Header with `sha256=<hex HMAC-SHA256 of the raw body>` when the hook has a secret. */
export const SIGNATURE_HEADER = 'X-Ccx-Signature';
/** Header with the delivery id: the same on every retry of one delivery, so receivers can deduplicate. */
export const DELIVERY_HEADER = 'X-Ccx-Delivery';

/** A hook as `hooks list` shows it: secret and header values masked. */
export interface HookInfo {
  id: string;
  label: string | null;
  /** Password and query values masked: a URL can carry a token. */
  url: string;
  level: HookLevel;
  events: string[];
  sessions: string[];
  /** `Name: ****` for each header. */
  headers: string[];
  secret: boolean;
  createdAt: string;
}

/** Per-subscriber delivery figures since the daemon started (pending is what the outbox holds now). */
export interface HookStatus {
  id: string;
  label: string | null;
  url: string;
  level: HookLevel;
  /** Deliveries the receiver accepted with a 2xx. */
  delivered: number;
  /** Attempts that failed (network error, timeout, 5xx, 429, other 4xx). */
  failed: number;
  /** Deliveries given up on because the receiver refused them for good (4xx other than 408/429). */
  rejected: number;
  /** Deliveries dropped because the outbox was full. */
  dropped: number;
  /** Deliveries waiting in the persistent outbox, the one in flight included. */
  pending: number;
  state: 'idle' | 'sending' | 'backoff';
  /** When the next retry is due, while in backoff. */
  nextAttemptAt: string | null;
  lastDeliveredAt: string | null;
  lastError: { time: string; message: string } | null;
}

export interface HookTestResult {
  id: string;
  ok: boolean;
  status: number | null;
  ms: number;
  error: string | null;
}

/** The JSON body of every webhook POST. */
export interface WebhookPayload {
  /** Delivery id, equal to the X-Ccx-Delivery header; stable across retries. */
  id: string;
  hook: string;
  label: string | null;
  /** The event as `ccx events --json` prints it; `session-output` batches add `offset`, `bytes`, `text`. */
  event: { seq: number; type: string; time: string; sessionId?: string; [key: string]: unknown };
  /** The event's session, with its name at the time the event was queued. */
  session: { id: string; name: string | null } | null;
}
