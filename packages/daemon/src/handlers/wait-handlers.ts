import type { SendResult, WaitResult } from '@ccx/shared';
import type { EventBus } from '../events/event-bus.js';
import type { PresetCatalog } from '../presets/preset-catalog.js';
import { streamOn, unary, unaryOn, type HandlerTable } from '../router.js';
import { planKeys } from '../session/input-plan.js';
import { MAX_PRESSES, pressUntilTaken } from '../session/submit-check.js';
import { Waiter } from '../wait/waiter.js';
import { waitSpec } from '../wait/wait-spec.js';

/** wait (send --wait, start --wait-ready, run), interrupt, and the preset list. */
export function waitHandlers(bus: EventBus, presets: PresetCatalog): HandlerTable {
  return {
    'session.wait': streamOn('session', async (params, { session }, sink) => {
      const spec = waitSpec(params, presets.forSession(session.record.preset, params.preset));
      // Without `from`, where the last send wrote (pexpect reads what is not yet consumed); 'now' or no send yet: the end of the output.
      spec.from = params.from === 'now' ? undefined : (params.from ?? session.inputMark);
      const waiter = new Waiter(session, bus, spec);
      // A client that goes away must not leave listeners behind on the session.
      sink.onClose(() => waiter.dispose());
      const result: WaitResult | undefined = await waiter.run();
      if (result && !sink.closed) sink.end(result);
    }),
    'session.interrupt': unaryOn('session', async (params, { session }): Promise<SendResult> => {
      // An agent that says it is idle has no turn to abort; Claude Code takes
      // Escape twice at its prompt as "open the Rewind picker", which then
      // swallowed the next prompt. An explicit --key is always sent.
      if (params.key === undefined && session.agentActivity?.activity === 'idle') {
        return { session: session.id, bytes: 0, written: 0, queued: 0, bracketedPaste: false, writtenAt: new Date().toISOString(), offset: session.output.end, skipped: 'idle' };
      }
      const key = params.key ?? presets.forSession(session.record.preset, params.preset).interruptKey;
      const busy = params.key === undefined && session.agentActivity?.activity === 'busy';
      const sent = await session.send(planKeys([key], 'interrupt'));
      // An agent that said busy must be seen to stop: Claude Code drops a key now and then (submit-check.ts).
      // Presses stay 1.5 s apart, well outside its double-Escape (Rewind) window, and end once it is not busy.
      if (busy) sent.resubmitted = ((await pressUntilTaken(session, key, () => session.agentActivity?.activity !== 'busy', 'interrupt')) ?? MAX_PRESSES) - 1;
      return sent;
    }),
    'presets.list': unary(() => presets.all()),
  };
}
