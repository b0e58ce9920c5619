import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';

/** What a running daemon advertises, so clients and `daemon status` can find it. */
export interface RegistryRecord {
  pid: number;
  version: string;
  protocol: number;
  socket: string;
  startedAt: string;
}

export function writeRegistry(file: string, record: RegistryRecord): void {
  writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
}

export function readRegistry(file: string): RegistryRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RegistryRecord;
  } catch {
    return undefined;
  }
}

/** Removes the registry only if it still names this daemon. */
export function removeRegistry(file: string, pid: number): void {
  if (readRegistry(file)?.pid === pid) rmSync(file, { force: true });
}
