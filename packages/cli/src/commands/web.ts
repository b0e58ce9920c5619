import type { CommandModule } from 'yargs';
import { CcxError } from '@ccx/shared';
import { runCommand } from '../context.js';
import { printJson, printLine, printNote, usageError } from '../output.js';

interface WebArgs {
  port?: number;
  bind?: string;
  'rotate-token'?: boolean;
  json?: boolean;
}

const DEFAULT_PORT = 7860;
const DEFAULT_BIND = '127.0.0.1';
/** SSE heartbeat override for tests (ms); the gateway's default is 15 s. */
const HEARTBEAT_ENV = 'CCX_WEB_HEARTBEAT_MS';

export const webCommand: CommandModule<object, WebArgs> = {
  command: 'web',
  describe: 'Serve sessions to a browser (HTTP API, events, live terminals) until Ctrl-C',
  builder: (y) =>
    y
      .option('port', { type: 'number', describe: `TCP port (0: any free one); default ${DEFAULT_PORT}` })
      .option('bind', { type: 'string', describe: `address to listen on; default ${DEFAULT_BIND} (only this machine). Another one is reachable from the network: a warning says so` })
      .option('rotate-token', { type: 'boolean', describe: 'make a new token first: the old one (and pages logged in with it) stop working, also on a gateway already running' })
      .option('json', { type: 'boolean', describe: 'print {url, port, token} as JSON' })
      .example('$0 web', 'serve on http://127.0.0.1:7860 and print the URL to open (with its token)')
      .example('$0 web --port 0 --json', 'any free port; the URL, port and token as JSON')
      .epilogue('Programs authenticate with Authorization: Bearer TOKEN; the token is kept in web-token (mode 0600) in the ccx state directory.') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      const port = argv.port ?? DEFAULT_PORT;
      if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw usageError('--port needs a TCP port: an integer 0–65535', 'example: ccx web --port 8080 (0: any free port)');
      const bind = argv.bind ?? DEFAULT_BIND;
      // Loaded only here: the gateway (ws, the page) never weighs on other commands.
      const web = await import('@ccx/web');
      const { connectOrStart } = await import('../client/ensure-daemon.js');
      if (!web.isLoopback(bind)) printNote(`warning: serving on ${bind}: anyone who can reach this address and has the token controls your sessions; prefer --bind 127.0.0.1 with an ssh tunnel`);
      const host = ctx.host;
      const connect = host
        ? async () => (await import('../remote/remote-connect.js')).connectRemote(host, ctx.env.version)
        : () => connectOrStart(ctx.env);
      // The daemon is started now if none runs (it makes the state directory the token file lives in),
      // so the first page load does not wait for it either.
      (await connect()).close();
      const tokenFile = web.webTokenFile(ctx.env.paths);
      const tokens = new web.TokenSource(tokenFile, ctx.env.uid);
      const token = asCliError(() => {
        if (argv['rotate-token']) web.rotateToken(tokenFile);
        return tokens.current();
      });
      const heartbeat = Number(process.env[HEARTBEAT_ENV]);
      let server: Awaited<ReturnType<typeof web.startWebServer>>;
      try {
        server = await web.startWebServer({
          connect,
          tokens,
          bind,
          port,
          spawnEnv: process.env as Record<string, string>,
          spawnCwd: process.cwd(),
          heartbeatMs: Number.isFinite(heartbeat) && heartbeat > 0 ? heartbeat : undefined,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new CcxError('E_USAGE', `port ${port} on ${bind} is in use`, 'another ccx web may run there; pick another: ccx web --port 0');
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CcxError('E_USAGE', `cannot listen on ${bind}: it is not an address of this machine`, 'use --bind 127.0.0.1');
        throw error;
      }
      const url = `${server.url}/#token=${token}`;
      if (ctx.json) printJson({ url, port: server.port, token });
      else printLine(url);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      return 0;
    }),
};

/** @ccx/web throws its own copy of CcxError (the CLI bundles shared): re-made here so it reports as one. */
function asCliError<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    const e = error as { code?: unknown; message?: string; hint?: string };
    if (typeof e.code === 'string' && e.code.startsWith('E_')) throw new CcxError(e.code as CcxError['code'], e.message ?? String(error), e.hint);
    throw error;
  }
}
