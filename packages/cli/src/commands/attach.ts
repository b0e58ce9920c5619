import type { CommandModule } from 'yargs';
import { ATTACH_ALLOW_KINDS, parseAttachAllow, shellQuote } from '@ccx/shared';
import { DEFAULT_DETACH_KEY, DetachKeyMatcher, parseDetachKey } from '../attach/detach-key.js';
import { AltScreenTracker, resetModes } from '../attach/terminal-modes.js';
import { describeEnd, openOutputStream, sessionExitCode } from '../client/output-stream.js';
import { runCommand } from '../context.js';
import { SESSION_ID_ARG } from './session-arg.js';
import { usageError } from '../output.js';

interface AttachArgs {
  id: string;
  'read-only'?: boolean;
  'detach-key'?: string;
  'detach-others'?: boolean;
  allow?: string;
  json?: boolean;
}

export const attachCommand: CommandModule<object, AttachArgs> = {
  command: 'attach <id>',
  describe: 'Show a session in this terminal and type into it (detach: Ctrl-\\)',
  builder: (y) =>
    y
      .positional('id', SESSION_ID_ARG)
      .option('read-only', { alias: 'r', type: 'boolean', describe: 'watch only: keystrokes (other than the detach key) are not sent' })
      .option('detach-others', { alias: 'd', type: 'boolean', describe: 'detach every other client of the session first (tmux attach -d)' })
      .option('detach-key', { type: 'string', describe: 'key that detaches, e.g. C-] or "C-b d" (tmux style), or none; default C-\\' })
      .option('allow', {
        type: 'string',
        describe: `what program output may do to this terminal, comma-separated: ${ATTACH_ALLOW_KINDS.join(', ')}, all or none; default: the config file's attach.allow, else none`,
      })
      .example('$0 attach agent', 'take over the keyboard; Ctrl-\\ detaches and leaves it running')
      .example('$0 attach -r agent', 'watch without typing')
      .example('$0 attach -d agent', 'take the session over: the other attached terminals are detached')
      .example('$0 attach --allow clipboard,title agent', 'let the program set the clipboard (OSC 52) and the window title') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      // Checked before anything else: a typo must not silently attach with less (or more) allowed.
      const allow = argv.allow === undefined ? undefined : parseAttachAllow(argv.allow, '--allow');
      const stdin = process.stdin;
      const stdout = process.stdout;
      if (!stdin.isTTY || !stdout.isTTY) {
        throw usageError(
          'attach needs a terminal on stdin and stdout',
          `to watch a session's output from a script use: ccx logs -f ${shellQuote(argv.id)}; to type into it: ccx send ${shellQuote(argv.id)} TEXT`,
        );
      }
      const keySpec = argv['detach-key'] ?? DEFAULT_DETACH_KEY;
      const matcher = new DetachKeyMatcher(parseDetachKey(keySpec));
      const readOnly = argv['read-only'] ?? false;
      const conn = await ctx.connect();
      const alt = new AltScreenTracker();
      let label = argv.id;
      let raw = false;

      const draw = (data: Buffer): boolean => {
        alt.see(data);
        return stdout.write(data);
      };
      const stream = openOutputStream(
        conn,
        'session.attach',
        { target: argv.id, readOnly, cols: stdout.columns, rows: stdout.rows, detachOthers: argv['detach-others'] || undefined, ...(allow ? { allow } : {}) },
        {
          start: ({ session }) => {
            label = session.name ?? session.id;
            stdin.setRawMode(true);
            raw = true;
            stdin.resume();
          },
          screen: (data) => void draw(data),
          output: draw,
        },
      );
      stdout.on('drain', stream.resume);

      const restore = (message?: string): void => {
        stdin.off('data', onKeys);
        stdout.off('resize', onResize);
        stdin.pause();
        if (!raw) return;
        stdin.setRawMode(false);
        stdout.write(`${resetModes(alt.active)}\r\n${message ? `[ccx: ${message}]\r\n` : ''}`);
      };
      let detached: (() => void) | undefined;
      const whenDetached = new Promise<void>((resolve) => (detached = resolve));
      const detach = (): void => {
        conn.control({ t: 'close', id: stream.id });
        detached?.();
      };
      const onKeys = (chunk: Buffer): void => {
        const { forward, detach: wantsDetach } = matcher.feed(chunk);
        if (forward.length > 0 && !readOnly) conn.control({ t: 'input', id: stream.id, data: forward.toString('base64') });
        if (wantsDetach) detach();
      };
      const onResize = (): void => void conn.control({ t: 'resize', id: stream.id, cols: stdout.columns, rows: stdout.rows });
      stdin.on('data', onKeys);
      stdout.on('resize', onResize);
      // The terminal went away: leave the session running, as a detach would
      // (and writing to the vanished terminal fails with EIO: nothing to report).
      stdout.on('error', () => undefined);
      process.once('SIGHUP', detach);
      process.once('SIGTERM', detach);

      const outcome = await Promise.race([stream.done.then((end) => ({ end })), whenDetached.then(() => undefined)]).catch((error: unknown) => {
        restore();
        throw error;
      });
      if (!outcome) {
        restore(`detached from ${label}; it keeps running (ccx attach ${shellQuote(label)} to come back)`);
        return 0;
      }
      if (outcome.end.detached) {
        restore(`detached from ${label} by another command (ccx detach, attach -d); it keeps running (ccx attach ${label} to come back)`);
        return 0;
      }
      restore(`${label} ${describeEnd(outcome.end)}`);
      return sessionExitCode(outcome.end);
    }),
};
