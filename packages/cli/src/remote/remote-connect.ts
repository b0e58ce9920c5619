import { CcxError, DAEMON_START_TIMEOUT_MS } from '@ccx/shared';
import { DaemonConnection } from '../client/ipc-client.js';
import type { HostTarget } from './host-spec.js';
import { SshChannel } from './ssh-channel.js';
import { remoteCommandHint } from './ssh-command.js';

/**
 * How long ssh's login, the far side's `ccx` start-up and a daemon start
 * there (when none runs) may take before the hello must be answered.
 */
const REMOTE_HELLO_TIMEOUT_MS = DAEMON_START_TIMEOUT_MS + 15_000;

/** A greeted connection to the daemon of another machine, over `ssh … ccx daemon dial-stdio`. */
export async function connectRemote(target: HostTarget, version: string): Promise<DaemonConnection> {
  const channel = new SshChannel(target);
  try {
    return await DaemonConnection.over(channel, version, REMOTE_HELLO_TIMEOUT_MS);
  } catch (error) {
    channel.destroy();
    if (error instanceof CcxError && error.code === 'E_VERSION') {
      throw new CcxError('E_VERSION', `${error.message} on ${target.label}`, `run the same ccx version on both machines (here: ${version}); upgrade ccx here or on ${target.label}, then restart the daemon there: ${remoteCommandHint(target, 'daemon restart')}`);
    }
    throw error;
  }
}
