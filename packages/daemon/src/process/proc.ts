import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { hasProcfs } from '@ccx/shared';

export { hasProcfs, isProcessAlive, isZombie, readEnvValue, readProcStat, type ProcStat } from '@ccx/shared';

export function listPids(): number[] {
  if (!hasProcfs) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Each open fd of the process and where it points (readlink of /proc/<pid>/fd/*); [] when unreadable. */
export function readFdTargets(pid: number): Array<{ fd: number; target: string }> {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const targets: Array<{ fd: number; target: string }> = [];
  for (const name of names) {
    try {
      targets.push({ fd: Number(name), target: readlinkSync(`/proc/${pid}/fd/${name}`) });
    } catch {
      // Closed while listed.
    }
  }
  return targets;
}

/**
 * True when the process is a ccx daemon, by its command line: the detached
 * form `node …/daemon/dist/main.js run` (what the CLI spawns) or the
 * foreground `ccx daemon run`. A daemon started from inside a session (for
 * another home) is not the session's to end.
 */
export function isCcxDaemon(pid: number): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  const [, entry, ...rest] = argv;
  if (!entry) return false;
  if (/[\\/]daemon[\\/]dist[\\/]main\.js$/.test(entry)) return rest[0] === 'run';
  return /(^|[\\/])ccx(\.m?js)?$/.test(entry) && rest[0] === 'daemon' && rest[1] === 'run';
}
