import type { CommandModule } from 'yargs';
import { WINDOW_SIZE_POLICIES, type SessionInfo, type WindowSizePolicy } from '@ccx/shared';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { printJson, usageError } from '../output.js';

interface ResizeArgs {
  id: string;
  size?: string;
  'window-size'?: WindowSizePolicy;
  json?: boolean;
}

/** Largest width or height a PTY is given (the protocol's limit). */
const MAX_DIMENSION = 1000;

/** `100x30` → {cols: 100, rows: 30}; anything else is a usage error that shows the form. */
export function parseSize(text: string): { cols: number; rows: number } {
  const m = /^(\d{1,4})[xX](\d{1,4})$/.exec(text.trim());
  const cols = m ? Number(m[1]) : NaN;
  const rows = m ? Number(m[2]) : NaN;
  if (!(cols >= 1 && cols <= MAX_DIMENSION && rows >= 1 && rows <= MAX_DIMENSION)) {
    throw usageError(`a size is COLSxROWS, each 1–${MAX_DIMENSION}; got: ${text}`, 'example: ccx resize ID 100x30');
  }
  return { cols, rows };
}

export const resizeCommand: CommandModule<object, ResizeArgs> = {
  command: 'resize <id> [size]',
  describe: "Set a session's window size (COLSxROWS) and/or how attached clients size it (--window-size)",
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .positional('size', { type: 'string', describe: 'COLSxROWS, e.g. 100x30' })
      .option('window-size', { type: 'string', choices: WINDOW_SIZE_POLICIES, describe: 'latest (the client that last attached, typed or resized), smallest, largest (of the clients that can type), manual (only ccx resize sets it)' })
      .option('json', { type: 'boolean', describe: 'print the session as JSON' })
      .example('$0 resize agent 100x30 --window-size manual', 'fix the size: attaching clients no longer change it')
      .example('$0 resize agent --window-size largest', 'a small viewer no longer shrinks it for the others')
      .epilogue('Under latest, smallest and largest a size set here holds until a client next attaches, detaches, resizes (or, for latest, types).') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const size = argv.size !== undefined ? parseSize(String(argv.size)) : undefined;
      if (!size && argv['window-size'] === undefined) throw usageError('nothing to change: give a size or --window-size', 'example: ccx resize ID 100x30, or ccx resize ID --window-size largest');
      const conn = await ctx.connect();
      const info = await conn.request('session.resize', { target: argv.id, ...size, windowSize: argv['window-size'] });
      if (ctx.json) printJson(info);
    }),
};
