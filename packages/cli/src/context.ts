import { currentPathEnv, effectiveVersion, resolvePaths } from '@ccx/shared';
import type { ClientEnv } from './client/ensure-daemon.js';
import type { DaemonConnection } from './client/ipc-client.js';
import { reportError } from './output.js';
import { isRemoteSpec, resolveHost, type HostTarget } from './remote/host-spec.js';

/** What every command gets: where the daemon lives, and how to reach it. */
export interface CliContext {
  env: ClientEnv;
  json: boolean;
  /** The machine `--host`/`CCX_HOST` names; undefined for this one. */
  host: HostTarget | undefined;
  /** Connects to the daemon, starting it if none runs. */
  connect(): Promise<DaemonConnection>;
  /** Connects only to a running daemon. */
  connectExisting(): Promise<DaemonConnection | undefined>;
}

function createContext(argv: { json?: boolean }, opened: DaemonConnection[]): CliContext {
  const pathEnv = currentPathEnv();
  const env: ClientEnv = { paths: resolvePaths(pathEnv), version: effectiveVersion(), uid: pathEnv.uid };
  const track = <T extends DaemonConnection | undefined>(conn: T): T => {
    if (conn) opened.push(conn);
    return conn;
  };
  const hostSpec = process.env.CCX_HOST;
  const host = isRemoteSpec(hostSpec) ? resolveHost(hostSpec, env.paths.configFile, process.env) : undefined;
  if (host) {
    // The far side's `dial-stdio` starts its daemon when none runs, so both are one thing there.
    const remote = async () => track(await (await import('./remote/remote-connect.js')).connectRemote(host, env.version));
    return { env, json: argv.json ?? false, host, connect: remote, connectExisting: remote };
  }
  return {
    env,
    json: argv.json ?? false,
    host,
    connect: async () => track(await (await import('./client/ensure-daemon.js')).connectOrStart(env)),
    connectExisting: async () => track(await (await import('./client/ensure-daemon.js')).tryConnect(env)),
  };
}

/**
 * Runs a command body: maps its errors to stderr and exit codes, and closes
 * every connection it opened so the process can end.
 */
export async function runCommand(argv: { json?: boolean }, body: (ctx: CliContext) => Promise<number | void>): Promise<void> {
  const opened: DaemonConnection[] = [];
  let code: number;
  try {
    const ctx = createContext(argv, opened);
    code = (await body(ctx)) ?? 0;
  } catch (error) {
    code = reportError(error, argv.json ?? false);
  } finally {
    for (const conn of opened) conn.close();
  }
  process.exitCode = code;
}
