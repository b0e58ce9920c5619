import { renameSync, statSync } from 'node:fs';
import { appendLine } from './store/append-line.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * One JSON object per line, so `ccx daemon logs` and tools like jq can read
 * it. Rotated to `<file>.1` past `maxBytes`, so it can never fill the disk.
 * Synchronous on purpose: log lines are rare and must survive a crash.
 */
export class FileLogger implements Logger {
  private bytes: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private echo = false,
  ) {
    // A foreground daemon whose terminal went away (started inside a session
    // that was then cancelled): the write fails with EIO as an 'error' event,
    // which, uncaught, was logged — and echoed — again, spinning a core.
    if (echo) process.stderr.on('error', () => (this.echo = false));
    try {
      this.bytes = statSync(file).size;
    } catch {
      this.bytes = 0;
    }
  }

  log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    const line = JSON.stringify(logRecord(level, msg, fields)) + '\n';
    if (this.echo) process.stderr.write(line);
    try {
      if (this.bytes + line.length > this.maxBytes) {
        renameSync(this.file, `${this.file}.1`);
        this.bytes = 0;
      }
      this.bytes = appendLine(this.file, line, this.bytes);
    } catch {
      // A full or read-only disk must not take the daemon down with it (appendLine has cut off any torn part).
    }
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
}

const RESERVED_KEYS: ReadonlySet<string> = new Set(['time', 'level', 'pid', 'msg']);

/**
 * The line's own time, level, pid and msg always win: a field named like one
 * of them (a webhook's `level: "stream"`) is kept as `<name>Field`, so no
 * value a client or config chose can change how a line is filtered.
 */
export function logRecord(level: LogLevel, msg: string, fields: Record<string, unknown>): Record<string, unknown> {
  const record: Record<string, unknown> = { time: new Date().toISOString(), level, pid: process.pid, msg };
  for (const [key, value] of Object.entries(fields)) record[RESERVED_KEYS.has(key) ? `${key}Field` : key] = value;
  return record;
}
