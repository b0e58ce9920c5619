import type { CommandModule } from 'yargs';
import { CcxError } from '@ccx/shared';
import { runCommand } from '../context.js';

/**
 * `ccx daemon dial-stdio`: the far end of `--host ssh://…` (docker's
 * `system dial-stdio`). It makes sure this machine's daemon runs, then
 * copies stdin to its socket and the socket to stdout, byte for byte, until
 * either side closes. It speaks no protocol itself: the client at the other
 * end of ssh greets the daemon, so a version mismatch is reported there
 * with both versions.
 */
export const dialStdioCommand: CommandModule<object, { json?: boolean }> = {
  command: 'dial-stdio',
  describe: "Bridge stdin/stdout to this machine's daemon socket (what ccx --host ssh://… runs on the far side)",
  builder: (y) => y.example('ssh me@build ccx daemon dial-stdio', 'what ccx --host ssh://me@build runs') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      if (ctx.host) throw new CcxError('E_USAGE', 'dial-stdio bridges to this machine\'s daemon; --host/CCX_HOST makes no sense here', 'unset CCX_HOST on the far side');
      const { openTrustedSocket } = await import('../client/ensure-daemon.js');
      // A running daemon is bridged at once (one connect, no greeting of ours:
      // every `--host` command pays for this). When none listens, it is
      // started the usual way first; that greeting is not ours to keep.
      // Either way the socket and its directories pass the same checks as
      // for any other command before a byte from ssh reaches them.
      let socket = await openTrustedSocket(ctx.env);
      if (!socket) {
        (await ctx.connect()).close();
        socket = await openTrustedSocket(ctx.env);
        if (!socket) throw new CcxError('E_DAEMON_UNAVAILABLE', 'the daemon stopped listening right after it started', 'see its log: ccx daemon logs');
      }
      const bridged = socket;
      await new Promise<void>((resolve) => {
        process.stdin.pipe(bridged);
        bridged.pipe(process.stdout);
        process.stdin.on('end', () => bridged.end());
        process.stdout.on('error', () => bridged.destroy());
        bridged.on('error', () => {});
        bridged.on('close', () => resolve());
      });
      // stdin may still be open (the daemon went away first): nothing more to bridge.
      process.stdin.destroy();
    }),
};
