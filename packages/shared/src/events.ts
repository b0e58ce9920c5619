/** The event types the daemon publishes, as listed in design.md. */
export const EVENT_TYPES = [
  'daemon-started',
  'daemon-stopping',
  'session-created',
  'session-started',
  'session-status',
  'input-sent',
  'cancel-initiated',
  'cancel-escalated',
  'process-exit',
  'session-error',
  'session-removed',
  'client-attached',
  'client-detached',
  /** The program's terminal size changed (an attached client's size became the active one). */
  'session-resized',
  'session-output',
  /** A webhook subscriber's outbox overflowed and its oldest deliveries were dropped. */
  'webhook-dropped',
  /** A structured agent session (`start --agent`): assistant text, a tool use or a tool result. */
  'agent-message',
  /** A structured agent session asks permission for a tool use: {requestId, tool, input, suggestions}. */
  'approval-request',
  /** It was answered: {requestId, approved, by, message?}. */
  'approval-confirmed',
  /** Nobody answered within --approval-timeout: it was denied. {requestId} */
  'approval-expired',
  /** A structured agent's turn ended: {durationMs, costUsd, usage, result}. */
  'turn-completed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Events that are only delivered live: their payload lives elsewhere (the output log). */
export const LIVE_ONLY_EVENTS: ReadonlySet<EventType> = new Set(['session-output']);

/**
 * `CcxEvent` (a union discriminated by `type`), `EventData<T>` and their
 * runtime schema `CcxEventSchema` live in schemas.ts: only the daemon loads
 * zod; the CLI imports the types.
 */
export type { CcxEvent, EventData, EventOf } from './schemas.js';
