/** What a home's daemon wrote to disk, read straight from the files: output segments, meta, events, its own log. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CcxPaths, SessionInfo } from '@ccx/shared';

/** A Home, or anything else that knows its paths (resolvePaths). */
interface HasDirs {
  paths: Pick<CcxPaths, 'stateDir' | 'sessionsDir'>;
}

const stateDir = (home: HasDirs): string => home.paths.stateDir;
const OUTPUT_SEGMENT = /^output-\d+\.log$/;

/** Raw bytes of the session's retained output log segments; empty when the session has no directory (yet). */
export function outputLogBytes(home: HasDirs, sessionId: string): Buffer {
  const dir = join(home.paths.sessionsDir, sessionId);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => OUTPUT_SEGMENT.test(f)).sort();
  } catch {
    return Buffer.alloc(0);
  }
  return Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
}

/** A session's meta.json from disk, or undefined if absent or unreadable. */
export function metaOnDisk(home: HasDirs, sessionId: string): (SessionInfo & Record<string, unknown>) | undefined {
  try {
    return JSON.parse(readFileSync(join(home.paths.sessionsDir, sessionId, 'meta.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

export interface LoggedEvent {
  seq: number;
  type: string;
  sessionId?: string;
  [k: string]: unknown;
}

/** JSON lines of a log file and its rotated predecessor (`<name>.1` first), skipping files that are absent. */
function rotatedLines(home: HasDirs, name: string): string[] {
  const out: string[] = [];
  for (const file of [`${name}.1`, name]) {
    let text = '';
    try {
      text = readFileSync(join(stateDir(home), file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) if (line) out.push(line);
  }
  return out;
}

/** Persisted events of this home (events.log and its rotated file). */
export function eventsFromLog(home: HasDirs): LoggedEvent[] {
  return rotatedLines(home, 'events.log').map((line) => JSON.parse(line) as LoggedEvent);
}

export interface DaemonLogLine {
  level: string;
  msg?: string;
  [k: string]: unknown;
}

/** Lines of the daemon's own log (current and rotated), parsed; a torn line is kept as `level: 'torn'`. */
export function daemonLog(home: HasDirs): DaemonLogLine[] {
  return rotatedLines(home, 'daemon.log').map((line) => {
    try {
      return JSON.parse(line) as DaemonLogLine;
    } catch {
      return { level: 'torn', msg: line.slice(0, 200) };
    }
  });
}

/** Log lines that mean a bug escaped a handler: each counts as a crash the process survived. */
export function crashLines(home: HasDirs): DaemonLogLine[] {
  return daemonLog(home).filter((l) => /uncaught exception|unhandled rejection|handler failed|stream handler failed/.test(l.msg ?? ''));
}
