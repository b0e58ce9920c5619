import { isAbsolute, join } from 'node:path';
import type { CancelResult, RemoveResult, SendResult, SessionInfo, StartResult } from '@ccx/shared';
import type { PresetCatalog } from '../presets/preset-catalog.js';
import { unary, unaryOn, type HandlerTable } from '../router.js';
import { planSend } from '../session/input-plan.js';
import type { SessionManager } from '../session/session-manager.js';

/** start, list, send, cancel, kill, rm, prune. */
export function sessionHandlers(sessions: SessionManager, daemonEnv: NodeJS.ProcessEnv, presets?: PresetCatalog): HandlerTable {
  return {
    'session.start': unary(({ inheritDaemonEnv, ...params }): StartResult => {
      // The CLI sends its environment so the program runs as if started from
      // that shell; without one (raw protocol use), or from another machine
      // (whose PATH and HOME mean nothing here), the daemon's own is the base.
      const base = params.env && !inheritDaemonEnv ? {} : (daemonEnv as Record<string, string>);
      // A remote client's own directory means nothing here: start where a login would.
      // A relative --cwd from there is relative to that home too (`--cwd proj` is ~/proj), as with ssh.
      if (inheritDaemonEnv && daemonEnv.HOME && (params.cwd === undefined || !isAbsolute(params.cwd))) params.cwd = params.cwd === undefined ? daemonEnv.HOME : join(daemonEnv.HOME, params.cwd);
      // A preset sets the session's Enter delay; an unknown name fails before anything starts.
      const enterDelayMs = params.preset !== undefined ? presets?.get(params.preset).enterDelayMs : undefined;
      const { session, reused, nameTakenFrom } = sessions.start({ ...params, enterDelayMs }, base);
      return { ...session.info(), ...(reused ? { reused } : {}), ...(nameTakenFrom ? { nameTakenFrom } : {}) };
    }),
    'session.list': unary((params): SessionInfo[] => sessions.list(params.all ?? false)),
    'session.get': unaryOn('session', (_params, { session }): SessionInfo => session.info()),
    'session.send': unaryOn('session', async (params, ctx): Promise<SendResult> => {
      const { session } = ctx;
      // The text is held here while it waits: bounded per session.
      const held = session.holdText(Buffer.byteLength(params.text ?? ''));
      // Behind any caller's turn (a send --wait holds it until its answer is in); a client that goes away leaves the line.
      const gone = new AbortController();
      const watching = ctx.conn.onClose(() => gone.abort());
      try {
        const turn = await session.turns.acquire({ noQueue: params.noQueue, signal: gone.signal, label: session.label }).finally(() => watching.dispose());
        try {
          return await session.send(planSend(params, params.preset !== undefined ? presets?.get(params.preset) : undefined));
        } finally {
          turn.dispose();
        }
      } finally {
        held.dispose();
      }
    }),
    'session.cancel': unaryOn('session', (params, { session }): Promise<CancelResult> => sessions.escalator.cancel(session, { graceMs: params.graceMs, force: params.force })),
    'session.rm': unary(async (params): Promise<RemoveResult> => ({ removed: await sessions.remove(params.targets, params.force ?? false) })),
    'session.prune': unary((params): RemoveResult => ({ removed: sessions.prune(params.olderThanMs ?? 0) })),
  };
}
