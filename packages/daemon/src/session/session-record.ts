import type { SessionStatus, WindowSizePolicy } from '@ccx/shared';
import type { AgentRecord } from '../agent/agent-record.js';

/** What is persisted of a session (meta.json); survives daemon restarts. */
export interface SessionRecord {
  id: string;
  name: string | null;
  status: SessionStatus;
  command: string[];
  cwd: string;
  cols: number;
  rows: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  lastActivityAt: string | null;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  pid: number | null;
  /** /proc start time of `pid`, so the reaper never kills a reused pid. */
  processStartTime: number | null;
  preset: string | null;
  /** Delay between pasted text and its Enter. */
  enterDelayMs: number;
  /** How attached clients size the window; absent in records written before it existed (= latest). */
  windowSize?: WindowSizePolicy;
  /** Set for a structured agent session (`start --agent`); absent for a PTY session. */
  agent?: AgentRecord;
}

export const ENDED_STATUSES: ReadonlySet<SessionStatus> = new Set(['exited', 'cancelled', 'failed', 'lost']);
