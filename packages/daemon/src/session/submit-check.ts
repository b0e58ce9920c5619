import type { Preset } from '@ccx/shared';
import { idleSince } from './agent-state.js';
import { lastInputBox } from '../wait/screen-answer.js';
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
 * presses `key` again while `took` says the program has not taken it —
 * unless `pending`, asked before each re-press, says it was taken after all
 * (false; undefined: it cannot tell) — and returns the presses in all, or
 * undefined when it never took it.
 */
export async function pressUntilTaken(session: Session, key: string, took: () => boolean, source: string, pending?: () => Promise<boolean | undefined>): Promise<number | undefined> {
  for (let presses = 1; ; presses++) {
    if (await pollUntil(() => !session.isRunning || took(), KEY_SETTLE_MS)) return presses;
    if (presses >= MAX_PRESSES) return undefined;
    // The screen says it was taken after all (the state lags behind): a press now would answer whatever came next.
    if ((await pending?.()) === false) return presses;
    await session.send(planKeys([key], source));
  }
}

/** Non-blank characters of a prompt looked for in the input box. */
const BOX_PREFIX_CHARS = 6;

/**
 * Whether `text` still sits in the program's input box on its screen (typed,
 * not taken): the screen's word, where the state file lags behind. Enter is
 * pressed again only then: once the prompt is taken, an Enter goes to what the
 * program drew next — "1. Yes" in Claude Code's permission dialog — and on a
 * box the text never reached it does nothing. Undefined when the screen cannot
 * tell: no input-box pattern or screen, or a paste shown as "[Pasted text …]".
 */
export async function promptInInputBox(session: Session, inputBox: string | null, text: string): Promise<boolean | undefined> {
  if (!inputBox || !session.screen) return undefined;
  const screen = await session.screen.text().catch(() => null);
  return screen === null ? undefined : promptInBox(screen, new RegExp(inputBox, 'm'), text);
}

/** promptInInputBox on a screen's text. */
export function promptInBox(screen: string, inputBox: RegExp, text: string): boolean | undefined {
  const want = text.replace(/\s+/g, '').slice(0, BOX_PREFIX_CHARS);
  if (want === '') return undefined;
  const last = lastInputBox(screen, inputBox);
  // No box drawn: a dialog (or a turn) has the screen.
  if (last < 0) return false;
  const box = screen.slice(last).replace(/\s+/g, '');
  if (box.includes(want)) return true;
  return /\[Pasted/.test(box) ? undefined : false;
}

/**
 * The prompt sent at `sentAtMs` was taken: the agent says busy (or waiting), it took a prompt
 * since, or it went idle after one (idleSince). A session whose state is watched but unread
 * (not yet, on a loaded machine; or a program that writes no state file) has not shown it: the
 * screen then decides whether to press again (promptInInputBox). A session whose state is not
 * watched says nothing to tell by.
 */
export function tookPrompt(session: Session, sentAtMs: number): boolean {
  const state = session.agentActivity;
  if (!state) return !session.watchesAgentState;
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
