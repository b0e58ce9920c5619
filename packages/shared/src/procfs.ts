import { readFileSync } from 'node:fs';

/**
 * Readers of Linux's /proc, shared by the daemon (session processes,
 * leftovers, Claude Code's state file), the CLI (is a pid alive) and the
 * testkit (is a tracked pid still the process it tracked).
 */

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Foreground process group of the controlling terminal, or -1. */
  tpgid: number;
  /** Start time in clock ticks since boot: with the pid, it names a process uniquely. */
  startTime: number;
  state: string;
}

export const hasProcfs = process.platform === 'linux';

/** Parses /proc/<pid>/stat; undefined when the process is gone or /proc is absent. */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!hasProcfs) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5).
  return {
    pid,
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
    tpgid: Number(fields[5]),
    startTime: Number(fields[19]),
  };
}

/** The value of variable `name` in the process's environment (only readable for our own processes). */
export function readEnvValue(pid: number, name: string): string | undefined {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
  const key = Buffer.from(`${name}=`);
  let at = environ.subarray(0, key.length).equals(key) ? 0 : environ.indexOf(Buffer.concat([Buffer.from([0]), key]));
  if (at < 0) return undefined;
  if (environ[at] === 0) at++;
  const end = environ.indexOf(0, at + key.length);
  return environ.subarray(at + key.length, end < 0 ? environ.length : end).toString('utf8');
}
