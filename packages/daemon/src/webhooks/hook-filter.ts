import type { CcxEvent, EventType, HookLevel } from '@ccx/shared';
import { levelOf, type StoredHook } from './hook-config.js';

/** `status` level: what happens to a session (and the daemon) as a whole. */
const LIFECYCLE: ReadonlySet<EventType> = new Set<EventType>([
  'daemon-started',
  'daemon-stopping',
  'session-created',
  'session-started',
  'session-status',
  'cancel-initiated',
  'cancel-escalated',
  'process-exit',
  'session-error',
  'session-removed',
  'webhook-dropped',
  // A structured agent waits for someone to answer: the reason status hooks exist.
  'approval-request',
  'approval-expired',
]);

/** `summary` level adds these to the lifecycle. */
const SUMMARY_EXTRA: ReadonlySet<EventType> = new Set<EventType>(['input-sent', 'client-attached', 'client-detached', 'session-resized']);

/** Whether a level covers an event. busy/idle `session-status` events (they carry `activity`) start at `summary`. */
export function levelCovers(level: HookLevel, event: Pick<CcxEvent, 'type'> & { activity?: unknown }): boolean {
  if (level === 'stream') return true;
  if (event.type === 'session-status' && event.activity !== undefined) return level === 'summary';
  return LIFECYCLE.has(event.type) || (level === 'summary' && SUMMARY_EXTRA.has(event.type));
}

/**
 * Whether a hook wants an event: its level covers it, its `events` list (if
 * any) names it, and its `sessions` list (if any) names the event's session by
 * id or by current name. A drop notice about the hook itself always passes:
 * losing deliveries is never silent.
 */
export function hookWants(hook: StoredHook, event: CcxEvent, sessionName: string | null): boolean {
  if (event.type === 'webhook-dropped' && event.hookId === hook.id) return true;
  if (!levelCovers(levelOf(hook), event)) return false;
  if (hook.events?.length && !hook.events.includes(event.type)) return false;
  if (hook.sessions?.length) {
    if (event.sessionId === undefined) return false;
    return hook.sessions.some((s) => s === event.sessionId || (sessionName !== null && s === sessionName));
  }
  return true;
}
