import type { SessionInfo, WindowSizePolicy } from '@ccx/shared';
import type { Activity, WaitingFor } from './activity-tracker.js';
import type { SessionRecord } from './session-record.js';

/** What of a session is live, beside its record. */
export interface LiveSessionState {
  running: boolean;
  activity: Activity;
  waitingFor: WaitingFor;
  attachedClients: number;
  outputBytes: number;
  windowSize: WindowSizePolicy;
  leftoverPids: number[];
}

/** The view of a session that `list`, `get` and `start` return (the same for every kind). */
export function sessionInfo(r: SessionRecord, live: LiveSessionState): SessionInfo {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    activity: live.running ? live.activity : null,
    waitingFor: live.running ? live.waitingFor : null,
    pid: r.pid,
    command: r.command,
    cwd: r.cwd,
    cols: r.cols,
    rows: r.rows,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    lastActivityAt: r.lastActivityAt,
    exitCode: r.exitCode,
    signal: r.signal,
    error: r.error,
    attachedClients: live.attachedClients,
    outputBytes: live.outputBytes,
    preset: r.preset,
    windowSize: live.windowSize,
    leftoverPids: live.leftoverPids,
  };
}
