import { CcxError } from '@ccx/shared';
import type { TargetResolver } from '../router.js';
import type { SessionManager } from '../session/session-manager.js';

/**
 * How the router resolves a declared target: a session by id, id prefix or
 * name (E_NOT_FOUND / E_AMBIGUOUS from `SessionManager.resolve`), and for
 * `running` one whose program still runs (E_NOT_RUNNING).
 */
export function sessionTargets(sessions: SessionManager): TargetResolver {
  return (target, decl) => {
    const session = sessions.resolve(target);
    if (decl.kind === 'running' && !session.isRunning) {
      throw new CcxError('E_NOT_RUNNING', `session ${session.label} is ${session.record.status}`, decl.notRunningHint ?? `its output is kept: ccx logs ${session.id}`);
    }
    return session;
  };
}
