import type { CommandModule } from 'yargs';
import type { SendResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, usageError } from '../output.js';
import { describeWait, PRINT_MODES, printCaptured, reportWaitFailure, runWait, waitConditionParams, waitExitCode, wantsWait, withWaitOptions, type PrintMode, type WaitArgs } from '../wait-options.js';

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
  print?: PrintMode;
  json?: boolean;
  record?: boolean;
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
      .option('wait', { type: 'boolean', describe: 'then wait for the answer (the wait options below) and print it' })
      .option('print', { type: 'string', choices: PRINT_MODES, describe: "with --wait: print the new output as text (echo and prompt removed), the screen, or none (default: the preset's, else output)" })
      .option('json', { type: 'boolean', describe: 'print what was sent (and, with --wait, the outcome and answer) as JSON' })
      .option('record', { type: 'boolean', default: true, describe: 'record an input-sent event (--no-record: none, e.g. for a password)' })
      .example('$0 send py "6*7"', 'paste 6*7 and press Enter')
      .example("answer=$($0 send py '6*7' --wait --preset python)", 'send, wait for the prompt, capture the answer (42)')
      .example("$0 send sh 'make; echo END' --until '^END$' --timeout 10m", 'wait for a marker line, at most 10 minutes')
      .example("$0 send py -- '-2*3' --wait", 'text after -- may start with -; send options may follow it')
      .example('$0 send agent --key Escape', 'press Escape only')
      .example("$0 send vim --no-paste 'ggOnew first line' --key Escape", 'type vim commands as keys, then press Escape')
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
      const result = await conn.request<SendResult>('session.send', {
        target: argv.id,
        text,
        paste: argv.paste !== false,
        // Enter follows text unless --no-enter; explicit keys replace it.
        enter: text === undefined ? keys.length === 0 : argv.enter !== false && keys.length === 0,
        keys,
        enterDelayMs: argv['enter-delay'],
        preset: argv.preset,
        record: argv.record === false ? false : undefined,
      });
      if (wait) {
        // The wait starts at the offset the text was written at, so an answer that came before this request is still seen.
        const outcome = await runWait(conn, { target: result.session, from: result.offset, echo: text, capture: argv.print ?? 'auto', ...wait });
        if (ctx.json) printJson({ ...result, wait: outcome });
        else printCaptured(outcome);
        reportWaitFailure(outcome, ctx.json, describeWait(wait));
        return waitExitCode(outcome);
      }
      if (ctx.json) printJson(result);
    }),
};
