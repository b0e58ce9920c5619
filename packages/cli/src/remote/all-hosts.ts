import { CcxError, type ErrorPayload, type SessionInfo } from '@ccx/shared';
import type { ClientEnv } from '../client/ensure-daemon.js';
import type { DaemonConnection } from '../client/ipc-client.js';
import { readNamedHosts, resolveHost } from './host-spec.js';

/** One machine's answer to `list --all-hosts`: its sessions, or why it gave none. */
export type HostSessions = { host: string; sessions: SessionInfo[] } | { host: string; error: ErrorPayload };

/** How long one host may take to answer before it is a row with an error. */
const HOST_LIST_TIMEOUT_MS = 20_000;

/**
 * Asks this machine and every host named in the config file, in parallel.
 * A host that does not answer is reported as its own error, never a
 * failure of the whole list.
 */
export async function listAllHosts(env: ClientEnv, all: boolean): Promise<HostSessions[]> {
  const names = Object.keys(readNamedHosts(env.paths.configFile));
  const ask = async (host: string, open: () => Promise<DaemonConnection>): Promise<HostSessions> => {
    let conn: DaemonConnection | undefined;
    try {
      conn = await open();
      return { host, sessions: await conn.request('session.list', { all }, HOST_LIST_TIMEOUT_MS) };
    } catch (error) {
      const payload = error instanceof CcxError ? error.toPayload() : { code: 'E_INTERNAL' as const, message: String((error as Error)?.message ?? error) };
      return { host, error: payload };
    } finally {
      conn?.close();
    }
  };
  return Promise.all([
    ask('local', async () => (await import('../client/ensure-daemon.js')).connectOrStart(env)),
    ...names.map((name) => ask(name, async () => (await import('./remote-connect.js')).connectRemote(resolveHost(name, env.paths.configFile, process.env), env.version))),
  ]);
}
