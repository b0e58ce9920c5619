import type { CommandModule } from 'yargs';
import { MAX_INLINE_TEXT_BYTES, SEND_CHUNK_BYTES, type ParamsOf, type TurnResult } from '@ccx/shared';
import type { DaemonConnection } from '../client/ipc-client.js';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, printNote, usageError } from '../output.js';
import { backstopFor, describeWait, PRINT_MODES, printCaptured, reportWaitFailure, waitConditionParams, waitExitCode, wantsWait, withWaitOptions, type PrintMode, type WaitArgs } from '../wait-options.js';

interface SendArgs extends WaitArgs {
  id: string;
  text?: string[];
  /** The words after `--` (text that may start with `-`). */
  '--'?: string[];
  stdin?: boolean;
  paste?: boolean;
  enter?: boolean;
  key?: string[];
  'enter-delay'?: number;
  wait?: boolean;
  queue?: boolean;
  print?: PrintMode;
  json?: boolean;
  record?: boolean;
}

/**
 * Sends as one turn (`session.turn`): queued behind other callers, and with a
 * wait the next caller's text is written only after this answer. Text too
 * large for one frame goes in input frames, one each time the daemon asks.
 */
function sendTurn(conn: DaemonConnection, params: Omit<ParamsOf<'session.turn'>, 'text' | 'textBytes'>, text: string | undefined, backstopMs: number | undefined): Promise<TurnResult> {
  const bytes = text === undefined ? undefined : Buffer.from(text, 'utf8');
  const streamed = bytes !== undefined && bytes.length > MAX_INLINE_TEXT_BYTES;
  let sentUpTo = 0;
  const turn = conn.stream(
    'session.turn',
    streamed ? { ...params, textBytes: bytes.length } : { ...params, text },
    (f) => {
      // On a terminal, say why nothing happens yet; scripts get no chatter.
      if (f.k === 'queued' && process.stderr.isTTY) printNote(`session ${String(params.target)} is answering another caller (${f.ahead} ahead); waiting for the turn (--no-queue fails instead)`);
      if (f.k !== 'more' || !streamed) return;
      const chunk = bytes.subarray(sentUpTo, sentUpTo + SEND_CHUNK_BYTES);
      sentUpTo += chunk.length;
      conn.control({ t: 'input', id: turn.id, data: chunk.toString('base64') });
    },
    backstopMs,
  );
  return turn.done;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const sendCommand: CommandModule<object, SendArgs> = {
  command: 'send <id> [text..]',
  describe: 'Type text (and Enter) or keys into a session',
  builder: (y) =>
    withWaitOptions(y)
      .positional('id', SESSION_ID_ARG)
      .positional('text', { type: 'string', array: true, describe: 'text to paste; words are joined with spaces' })
      .option('stdin', { type: 'boolean', describe: 'read the text from standard input' })
      .option('paste', { type: 'boolean', default: true, describe: 'paste the text (in bracketed-paste markers when the program asked for them); --no-paste types it as keystrokes, as tmux send-keys -l, for vim, less and other key-driven programs' })
      .option('enter', { type: 'boolean', default: true, describe: 'press Enter after the text (--no-enter to not)' })
      .option('key', { type: 'string', array: true, describe: 'key to press after the text: one character (q, :), Enter, Escape, Tab, S-Tab, Up, F1–F12, C-c, C-Space, M-x (Alt), or a literal like "\\x1b[A" (repeatable; names: README "Keys for send --key")' })
      .option('enter-delay', { type: 'number', describe: 'ms between the text and Enter (default 150)' })
      .option('preset', { type: 'string', describe: "preset for this send (Enter delay; with --wait: prompt, idle time, what to print); default: the session's" })
      .option('wait', { type: 'boolean', describe: 'then wait for the answer (the wait options below) and print it; the session is yours until then (a turn)' })
      .option('queue', { type: 'boolean', default: true, describe: "wait behind another caller's turn (--no-queue: fail with E_BUSY instead)" })
      .option('print', { type: 'string', choices: PRINT_MODES, describe: "with --wait: print the new output as text (echo and prompt removed), the screen, or none (default: the preset's, else output)" })
      .option('json', { type: 'boolean', describe: 'print what was sent (and, with --wait, the outcome and answer) as JSON' })
      .option('record', { type: 'boolean', default: true, describe: 'record an input-sent event (--no-record: none, e.g. for a password)' })
      .example('$0 send py "6*7"', 'paste 6*7 and press Enter')
      .example("answer=$($0 send py '6*7' --wait --preset python)", 'send, wait for the prompt, capture the answer (42)')
      .example("$0 send sh 'make; echo END' --until '^END$' --timeout 10m", 'wait for a marker line, at most 10 minutes')
      .example("$0 send py -- '-2*3' --wait", 'text after -- may start with -; send options may follow it')
      .example('$0 send agent --key Escape', 'press Escape only')
      .example("$0 send vim --no-paste 'ggOnew first line' --key Escape", 'type vim commands as keys, then press Escape')
      .example('$0 send py "1+1" --wait --no-queue', "fail with E_BUSY instead of waiting for another caller's turn")
      .example('echo hi | $0 send sh --stdin', 'send standard input') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const words = [...(argv.text ?? []), ...(argv['--'] ?? [])].map(String);
      let text = words.length ? words.join(' ') : undefined;
      if (argv.stdin) {
        if (text !== undefined) throw usageError('give the text either as arguments or with --stdin, not both');
        text = (await readStdin()).replace(/\r?\n$/, '');
      }
      const keys = argv.key?.map(String) ?? [];
      if (text === undefined && keys.length === 0 && !argv.enter) throw usageError('nothing to send', 'give text, --stdin or --key');
      const wait = argv.wait || wantsWait(argv) ? waitConditionParams(argv) : undefined;
      const conn = await ctx.connect();
      const { preset, timeoutMs, ...conditions } = wait ?? {};
      const params: Omit<ParamsOf<'session.turn'>, 'text' | 'textBytes'> = {
        target: argv.id,
        paste: argv.paste === false ? false : undefined,
        // Flags only: the daemon decides whether Enter follows (input-plan.ts: unless --no-enter or --key).
        enter: argv.enter === false ? false : undefined,
        keys: keys.length ? keys : undefined,
        enterDelayMs: argv['enter-delay'],
        preset: argv.preset ?? preset,
        noQueue: argv.queue === false ? true : undefined,
        record: argv.record === false ? false : undefined,
        // The wait starts at the offset the text was written at, in the daemon, before the next turn may write.
        wait: wait ? { ...conditions, timeoutMs, capture: argv.print ?? 'auto' } : undefined,
      };
      const { send: result, wait: outcome } = await sendTurn(conn, params, text, backstopFor(timeoutMs));
      if (outcome) {
        if (ctx.json) printJson({ ...result, wait: outcome });
        else printCaptured(outcome);
        reportWaitFailure(outcome, ctx.json, describeWait(conditions));
        return waitExitCode(outcome);
      }
      if (ctx.json) printJson(result);
    }),
};
