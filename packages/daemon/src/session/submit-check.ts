import type { Preset } from '@ccx/shared';
import { idleSince } from './agent-state.js';
import { planKeys } from './input-plan.js';
import type { Session } from './session.js';

/** How long a send to an agent TUI waits for it to be ready before it types anyway. */
export const READY_WAIT_MS = 30_000;
/** How long after a key the agent must show it took it before the key is pressed again. */
export const KEY_SETTLE_MS = 1_500;
/** Presses of one key at most (the first and the repeats). */
export const MAX_PRESSES = 4;
const POLL_MS = 50;

/**
 * Keys to an agent TUI (Claude Code) are keys it took, as coder/agentapi
 * makes sure for prompts: a send waits until the program is ready for input
 * (its preset's ready state on the screen: typed too early, the text stayed
 * in a half-drawn input box), and a key whose effect the program does not
 * show — in its state file — is pressed again, a bounded number of times.
 * Claude Code ignores keys for a moment after it draws a dialog or starts.
 */
export async function untilReady(session: Session, preset: Preset): Promise<void> {
  if (preset.ready === null || !session.screen) return;
  const ready = new RegExp(preset.ready, 'm');
  await pollUntil(async () => !session.isRunning || !session.screen || ready.test(await session.screen.text()), READY_WAIT_MS, POLL_MS * 2);
}

/**
 * After the first press (already made by the caller, at `firstAtMs`),
 * presses `key` again while `took` says the program has not taken it;
 * returns the presses in all, or undefined when it never took it.
 */
export async function pressUntilTaken(session: Session, key: string, took: () => boolean, source: string): Promise<number | undefined> {
  for (let presses = 1; ; presses++) {
    if (await pollUntil(() => !session.isRunning || took(), KEY_SETTLE_MS)) return presses;
    if (presses >= MAX_PRESSES) return undefined;
    await session.send(planKeys([key], source));
  }
}

/** How soon after its start an agent TUI is expected to have said its state once (Claude Code: within a second). */
export const AGENT_STATE_EXPECTED_MS = 10_000;

/**
 * The prompt sent at `sentAtMs` was taken: the agent says busy (or waiting), it took a prompt
 * since, or it went idle after one (idleSince). A session whose state is watched but unread
 * (not yet, on a loaded machine; or lost for a moment) has not shown it: the key is pressed
 * again, which an empty input box ignores. A session with no state to read — none watched, or
 * none said AGENT_STATE_EXPECTED_MS after the start (a program that writes no state file) —
 * says nothing to tell by.
 */
export function tookPrompt(session: Session, sentAtMs: number): boolean {
  const state = session.agentActivity;
  if (!state) return !session.watchesAgentState || (!session.agentStateSeen && ageMs(session) > AGENT_STATE_EXPECTED_MS);
  return state.activity !== 'idle' || (state.promptAt ?? -Infinity) >= sentAtMs || idleSince(state, sentAtMs);
}

/** Polls `done` until it holds or `timeoutMs` passed; says which. */
export async function pollUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = POLL_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function ageMs(session: Session): number {
  const started = Date.parse(session.record.startedAt ?? '');
  return Number.isFinite(started) ? Date.now() - started : Infinity;
}
