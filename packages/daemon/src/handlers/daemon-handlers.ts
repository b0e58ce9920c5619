import type { DaemonStatus } from '@ccx/shared';
import { unary, type HandlerTable } from '../router.js';

export interface DaemonInfoSource {
  status(): DaemonStatus;
  /** Starts a graceful shutdown after the reply has been sent. */
  requestStop(): void;
}

export function daemonHandlers(daemon: DaemonInfoSource): HandlerTable {
  return {
    'daemon.status': unary(() => daemon.status()),
    'daemon.stop': unary(() => {
      setImmediate(() => daemon.requestStop());
      return { stopping: true };
    }),
  };
}
