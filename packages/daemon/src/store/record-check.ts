import { WINDOW_SIZE_POLICIES } from '@ccx/shared';
import { isAgentRecord } from '../agent/agent-record.js';
import type { SessionRecord } from '../session/session-record.js';

const STATUSES = new Set(['running', 'exited', 'cancelled', 'failed', 'lost']);

type Check = (value: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const strOrNull: Check = (v) => v === null || typeof v === 'string';
const int: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v);
const intOrNull: Check = (v) => v === null || int(v);
const positive: Check = (v) => int(v) && (v as number) > 0;

/** Every field of a SessionRecord and what it must hold. */
const FIELDS: Record<keyof SessionRecord, Check> = {
  id: str,
  name: strOrNull,
  status: (v) => typeof v === 'string' && STATUSES.has(v),
  command: (v) => Array.isArray(v) && v.every(str),
  cwd: str,
  cols: positive,
  rows: positive,
  createdAt: str,
  startedAt: strOrNull,
  endedAt: strOrNull,
  lastActivityAt: strOrNull,
  exitCode: intOrNull,
  signal: strOrNull,
  error: strOrNull,
  pid: (v) => v === null || positive(v),
  processStartTime: (v) => v === null || (typeof v === 'number' && Number.isFinite(v)),
  preset: strOrNull,
  enterDelayMs: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  // Absent in records from before window-size policies (they get the default).
  windowSize: (v) => v === undefined || (typeof v === 'string' && (WINDOW_SIZE_POLICIES as readonly string[]).includes(v)),
  agent: (v) => v === undefined || isAgentRecord(v),
};

/**
 * The record in `value` if it is a whole SessionRecord for the directory `id`;
 * otherwise the first thing wrong with it. A meta.json holding `null`, `{}`,
 * `[]` or `"command": null` crashed every start of the daemon, or `list`.
 */
export function checkRecord(value: unknown, id: string): { record: SessionRecord } | { problem: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: `not an object (${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})` };
  const fields = value as Record<string, unknown>;
  for (const [key, ok] of Object.entries(FIELDS) as Array<[keyof SessionRecord, Check]>) {
    if (!ok(fields[key])) return { problem: `field ${key} is ${key in fields ? JSON.stringify(fields[key])?.slice(0, 40) : 'missing'}` };
  }
  if (fields.id !== id) return { problem: `its id ${JSON.stringify(fields.id).slice(0, 40)} is not its directory's (${id})` };
  return { record: value as SessionRecord };
}
