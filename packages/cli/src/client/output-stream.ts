import { constants as osConstants } from 'node:os';
import type { OutputFrame, OutputStreamEnd, ParamsOf } from '@ccx/shared';
import type { DaemonConnection } from './ipc-client.js';

export interface OutputStreamHandlers {
  /** Receives output bytes; returns false when its destination is full (the stream then pauses until `resume`). */
  output(data: Buffer, offset: number): boolean;
  start?(frame: Extract<OutputFrame, { k: 'start' }>): void;
  gap?(from: number, to: number): void;
  /** attach's screen replay. */
  screen?(data: Buffer): void;
}

/**
 * Opens an output stream (`session.logs`, `session.attach`) and hands its
 * frames over. When the destination is full the connection stops reading,
 * so the daemon's follower waits instead of anyone buffering: the pause
 * travels back to the daemon through the socket.
 */
export function openOutputStream<M extends 'session.logs' | 'session.attach'>(
  conn: DaemonConnection,
  method: M,
  params: ParamsOf<M>,
  handlers: OutputStreamHandlers,
): { id: number; done: Promise<OutputStreamEnd>; resume(): void } {
  let paused = false;
  const resume = (): void => {
    if (!paused) return;
    paused = false;
    conn.resume();
  };
  const { id, done } = conn.stream<'session.logs' | 'session.attach'>(method, params, (frame) => {
    switch (frame.k) {
      case 'out':
        if (!handlers.output(frame.data, frame.offset) && !paused) {
          paused = true;
          conn.pause();
        }
        return;
      case 'start':
        handlers.start?.(frame);
        return;
      case 'gap':
        handlers.gap?.(frame.from, frame.to);
        return;
      case 'screen':
        handlers.screen?.(frame.data);
        return;
    }
  });
  return { id, done, resume };
}

/** Exit code of a command that followed a session to its end: the program's code, 128+N for signal N, 1 if it failed or was lost. */
export function sessionExitCode(end: Pick<OutputStreamEnd, 'status' | 'exitCode' | 'signal'>): number {
  if (end.exitCode !== null) return end.exitCode;
  if (end.signal) return signalExitCode(end.signal) ?? 1;
  return end.status === 'running' || end.status === 'exited' ? 0 : 1;
}

/** 128+N for signal N, as shells report it; undefined for a name this platform does not know. */
export function signalExitCode(signal: string): number | undefined {
  const number = (osConstants.signals as Record<string, number>)[signal];
  return number ? 128 + number : undefined;
}

/** How a session ended, in words: "exited with code 0", "killed by SIGTERM". */
export function describeEnd(end: Pick<OutputStreamEnd, 'status' | 'exitCode' | 'signal'>): string {
  const how = end.signal ? `killed by ${end.signal}` : end.exitCode !== null ? `exited with code ${end.exitCode}` : end.status;
  return end.status === 'cancelled' ? `cancelled (${how})` : how;
}
