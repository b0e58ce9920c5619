import { CcxError } from '@ccx/shared';
import type { EventBus } from '../events/event-bus.js';
import { streamEvents } from '../events/event-follower.js';
import { stream, type HandlerTable } from '../router.js';
import type { SessionManager } from '../session/session-manager.js';

/** `events.stream`: the events log, then (with follow) live events. */
export function eventsHandlers(bus: EventBus, sessions: SessionManager, followerQueueMax: number): HandlerTable {
  return {
    'events.stream': stream(async (params, _ctx, sink) => {
      const sessionId = params.target === undefined ? undefined : resolveSessionId(bus, sessions, params.target);
      await streamEvents(bus, sink, {
        sessionId,
        types: params.types,
        since: params.since,
        follow: params.follow ?? false,
        queueMax: followerQueueMax,
      });
    }),
  };
}

/** A live session by id, prefix or name; else the exact id of a removed one whose events the log still holds. */
function resolveSessionId(bus: EventBus, sessions: SessionManager, target: string): string {
  try {
    return sessions.resolve(target).id;
  } catch (error) {
    if (error instanceof CcxError && error.code === 'E_NOT_FOUND' && bus.logged((e) => e.sessionId === target)) return target;
    throw error;
  }
}
