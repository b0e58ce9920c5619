import type { Preset } from '@ccx/shared';
import type { Session } from './session.js';

/** How long a send to an agent TUI waits for it to be ready before it types anyway. */
export const READY_WAIT_MS = 30_000;
/** How long after an Enter the agent must say it took the prompt before Enter is pressed again. */
export const SUBMIT_SETTLE_MS = 1_500;
/** Enters pressed again at most, after the first. */
export const MAX_RESUBMITS = 3;
const POLL_MS = 50;

/**
 * A prompt sent to an agent TUI (Claude Code) is a prompt submitted, as
 * coder/agentapi makes sure: the send waits until the program is ready for
 * input (its preset's ready state on the screen: typed too early, the text
 * stayed in a half-drawn input box), and after it the program must say it
 * took the prompt — its state file changes, busy or a newer status — else
 * Enter is pressed again, a bounded number of times.
 */
export async function untilReady(session: Session, preset: Preset): Promise<void> {
  if (preset.ready === null || !session.screen) return;
  const ready = new RegExp(preset.ready, 'm');
  const deadline = Date.now() + READY_WAIT_MS;
  while (Date.now() < deadline && session.isRunning && session.screen) {
    if (ready.test(await session.screen.text())) return;
    await sleep(POLL_MS * 2);
  }
}

/** Presses Enter again while the agent has not taken the prompt sent at `sentAtMs`; returns how many times. */
export async function ensureSubmitted(session: Session, sentAtMs: number): Promise<number> {
  let again = 0;
  for (;;) {
    if (await tookPrompt(session, sentAtMs, SUBMIT_SETTLE_MS)) return again;
    if (again >= MAX_RESUBMITS || !session.isRunning) return again;
    again++;
    await session.send({ keys: ['Enter'], enter: false, source: 'resubmit' });
  }
}

async function tookPrompt(session: Session, sentAtMs: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const state = session.agentActivity;
    // No state to tell by (not Claude Code, or its file is gone): nothing to verify against.
    if (!state || !session.isRunning) return true;
    if (state.activity !== 'idle' || (state.since !== null && state.since >= sentAtMs)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
