import { CcxError, type ApproveResult } from '@ccx/shared';
import type { PresetCatalog } from '../presets/preset-catalog.js';
import { unary, type HandlerTable } from '../router.js';
import type { Session } from '../session/session.js';
import type { SessionManager } from '../session/session-manager.js';

/** Presses of the approve/deny key before giving up on a dialog that stays open. */
const MAX_PRESSES = 3;
/** How long after a press the dialog has to close before the key is pressed again. */
const PRESS_SETTLE_MS = 1_500;
const POLL_MS = 50;
/** How long a denied turn may take to wind down before its message is typed anyway. */
const IDLE_AFTER_DENY_MS = 10_000;

/**
 * `ccx approve` / `ccx deny` for a TUI agent (Claude Code): answer the
 * permission dialog it shows with the preset's keys, and check that it
 * closed. Claude Code ignores keys for a moment after it draws the dialog,
 * so a press that changed nothing is repeated, as coder/agentapi re-sends
 * Enter for a prompt that was not submitted. These never wait behind a
 * `send --wait` turn: that turn is waiting for exactly this answer.
 */
export function approvalHandlers(sessions: SessionManager, presets: PresetCatalog): HandlerTable {
  return {
    'session.approve': unary(async (params): Promise<ApproveResult> => {
      const session = sessions.resolve(params.target);
      if (!session.isRunning) throw new CcxError('E_NOT_RUNNING', `session ${session.label} is ${session.record.status}`, `its output is kept: ccx logs ${session.id}`);
      const preset = presets.forSession(session.record.preset, params.preset);
      const key = params.approved ? preset.approveKey : preset.denyKey;
      if (!key) {
        throw new CcxError('E_USAGE', `preset ${preset.name} has no ${params.approved ? 'approveKey' : 'denyKey'}: ccx does not know this program's permission dialog`, 'use --preset claude, or press its keys yourself: ccx send ID --key …');
      }
      if (!isAskingPermission(session)) {
        throw new CcxError('E_NOT_FOUND', `session ${session.label} is not asking for a permission`, `ccx list shows STATE waiting:permission while it asks; look at it: ccx screen ${session.id}`);
      }
      for (let presses = 1; presses <= MAX_PRESSES; presses++) {
        await session.send({ keys: [key], enter: false, source: params.approved ? 'approve' : 'deny' });
        if (await closedWithin(session, PRESS_SETTLE_MS)) {
          let messageSent = false;
          if (params.message !== undefined && !params.approved) {
            // Typed once the refused turn has ended and the prompt is back; sooner, the TUI dropped it.
            await until(() => !session.isRunning || session.agentActivity?.activity === 'idle', IDLE_AFTER_DENY_MS);
            await session.send({ text: params.message, enter: true, keys: [], source: 'deny' });
            messageSent = true;
          }
          return { session: session.id, approved: params.approved, presses, messageSent };
        }
        if (!session.isRunning) break;
      }
      throw new CcxError('E_TIMEOUT', `the permission dialog of ${session.label} stayed open after ${MAX_PRESSES} presses of ${key}`, `look at it: ccx screen ${session.id}`);
    }),
  };
}

function isAskingPermission(session: Session): boolean {
  const state = session.agentActivity;
  return state?.activity === 'waiting' && state.waitingFor === 'permission';
}

function closedWithin(session: Session, ms: number): Promise<boolean> {
  return until(() => !session.isRunning || !isAskingPermission(session), ms);
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (done()) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return done();
}
