import type { CommandModule } from 'yargs';
import type { SessionInfo } from '@ccx/shared';
import { openOutputStream, sessionExitCode } from '../client/output-stream.js';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { humanBytes } from '../format.js';
import { exitOnBrokenPipe, printNote, usageError } from '../output.js';
import { LiveText } from '../text/live-text.js';
import { OutputSlabs } from '../output-slabs.js';

interface LogsArgs {
  id: string;
  tail?: number;
  since?: number;
  follow?: boolean;
  raw?: boolean;
  json?: boolean;
}

/**
 * Bytes let wait in stdout's buffer before the stream stops reading from the
 * daemon. stdout's own mark (16 KiB) is below one output frame: a frame
 * that a pipe took only part of paused and resumed the connection every
 * time, a few system calls and a wake-up on both ends per frame.
 */
const STDOUT_QUEUE_BYTES = 1024 * 1024;

/** Writes to stdout (raw output through `slabs`: a copy, so `data` may be a transient view); false when its buffer is full ('drain' follows once it is empty). */
function writeOut(data: string | Buffer, slabs?: OutputSlabs): boolean {
  if (data.length === 0) return true;
  if (slabs && typeof data !== 'string') slabs.write(data);
  else process.stdout.write(data);
  return process.stdout.writableLength < STDOUT_QUEUE_BYTES;
}

export const logsCommand: CommandModule<object, LogsArgs> = {
  command: 'logs <id>',
  describe: "Print a session's output from its on-disk log (-f: then follow it live)",
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .option('tail', { alias: 'n', type: 'number', describe: 'start at the last N lines' })
      .option('since', { type: 'number', describe: 'start at this byte offset of the output (as in `screen --json`, `send --json`)' })
      .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing new output until the session ends; then exit with its exit code' })
      .option('raw', { type: 'boolean', describe: 'the exact bytes the program wrote, escape sequences and all' })
      .option('json', { type: 'boolean', describe: 'a structured agent session (start --agent): its raw stream-json messages, one per line (--tail N: the last N)' })
      .example('$0 logs agent --tail 50', 'the last 50 lines, as text')
      .example('$0 logs -f build', 'follow until the program ends; exits with its code')
      .example('$0 logs sh --raw > out.bin', 'byte-exact copy of the output') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      for (const [name, value] of [['--tail', argv.tail], ['--since', argv.since]] as const) {
        if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw usageError(`${name} needs a whole number ≥ 0, got ${value}`);
      }
      const conn = await ctx.connect();
      // A structured agent session's --json: its raw stream-json messages, one per line.
      if (ctx.json && (await conn.request('session.get', { target: argv.id })).agent) {
        const { messages } = await conn.request('session.messages', { target: argv.id, tail: argv.tail });
        for (const m of messages) writeOut(JSON.stringify(m) + '\n');
        return 0;
      }
      // Following, the unfinished last line (a prompt) is printed as it comes (live-text.ts).
      const text = argv.raw ? undefined : new LiveText(argv.follow ?? false);
      // Raw bytes go out as they come: copied into reused slabs, so the connection need not hand over fresh memory per read.
      const slabs = text ? undefined : new OutputSlabs(process.stdout);
      if (slabs) conn.useTransientPayloads();
      const stream = openOutputStream(
        conn,
        'session.logs',
        { target: argv.id, tail: argv.tail, since: argv.since, follow: argv.follow ?? false },
        {
          start: ({ from, logStart }) => {
            const asked = argv.since ?? 0;
            if (logStart > asked && argv.tail === undefined) {
              printNote(`the first ${humanBytes(logStart)} of output (offsets 0–${logStart}) were rotated out of the log; printing from offset ${from}`);
            }
            // Starting where rotation cut the log, not where the user asked: that is mid-line.
            if (from === logStart && logStart > asked) text?.skipToLineStart();
          },
          gap: (from, to) => {
            printNote(`${humanBytes(to - from)} of output (offsets ${from}–${to}) were rotated out of the log before they could be printed`);
            if (text) writeOut(text.gap());
          },
          output: (data) => (text ? writeOut(text.push(data)) : writeOut(data, slabs)),
        },
      );
      process.stdout.on('drain', stream.resume);
      exitOnBrokenPipe(0);
      const end = await stream.done;
      if (text) writeOut(text.end());
      return argv.follow ? sessionExitCode(end) : 0;
    }),
};
