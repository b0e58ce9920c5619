import { CcxError, type ApproveResult } from '@ccx/shared';
import type { PresetCatalog } from '../presets/preset-catalog.js';
import { unaryOn, type HandlerTable } from '../router.js';
import { planKeys, planSend } from '../session/input-plan.js';
import type { Session } from '../session/session.js';
import { MAX_PRESSES, pollUntil, pressUntilTaken } from '../session/submit-check.js';

/** How long a denied turn may take to wind down before its message is typed anyway. */
const IDLE_AFTER_DENY_MS = 10_000;

/**
 * `ccx approve` / `ccx deny` for a TUI agent (Claude Code): answer the
 * permission dialog it shows with the preset's keys, and check that it
 * closed, pressing again while it stays open (submit-check.ts). These never wait behind a
 * `send --wait` turn: that turn is waiting for exactly this answer.
 */
export function approvalHandlers(presets: PresetCatalog): HandlerTable {
  return {
    'session.approve': unaryOn('running', async (params, { session }): Promise<ApproveResult> => {
      const preset = presets.forSession(session.record.preset, params.preset);
      const key = params.approved ? preset.approveKey : preset.denyKey;
      if (!key) {
        throw new CcxError('E_USAGE', `preset ${preset.name} has no ${params.approved ? 'approveKey' : 'denyKey'}: ccx does not know this program's permission dialog`, 'use --preset claude, or press its keys yourself: ccx send ID --key …');
      }
      if (!isAskingPermission(session)) {
        throw new CcxError('E_NOT_FOUND', `session ${session.label} is not asking for a permission`, `ccx list shows STATE waiting:permission while it asks; look at it: ccx screen ${session.id}`);
      }
      await session.send(planKeys([key], params.approved ? 'approve' : 'deny'));
      const presses = await pressUntilTaken(session, key, () => !isAskingPermission(session), params.approved ? 'approve' : 'deny');
      if (presses === undefined) {
        throw new CcxError('E_TIMEOUT', `the permission dialog of ${session.label} stayed open after ${MAX_PRESSES} presses of ${key}`, `look at it: ccx screen ${session.id}`);
      }
      let messageSent = false;
      if (params.message !== undefined && !params.approved) {
        // Typed once the refused turn has ended and the prompt is back; sooner, the TUI dropped it.
        await pollUntil(() => !session.isRunning || session.agentActivity?.activity === 'idle', IDLE_AFTER_DENY_MS);
        await session.send(planSend({ text: params.message, enter: true }, undefined, 'deny'));
        messageSent = true;
      }
      return { session: session.id, approved: params.approved, presses, messageSent };
    }),
  };
}

function isAskingPermission(session: Session): boolean {
  const state = session.agentActivity;
  return state?.activity === 'waiting' && state.waitingFor === 'permission';
}
