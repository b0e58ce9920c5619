// Linux /proc readings the drills measure the daemon and its sessions by.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isZombie } from '../../packages/shared/dist/index.js';

/** Alive = exists and is not a zombie (init may reap late on this kind of machine). */
export { isProcessAlive as isAlive } from '../../packages/shared/dist/index.js';

/** Resident set size in bytes, from /proc/<pid>/status. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process. */
export function fdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** What each fd of a process points at, grouped ("socket", "/dev/ptmx", "anon_inode:[eventfd]", a path…). */
export function fdKinds(pid) {
  const kinds = {};
  let names = [];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return kinds;
  }
  for (const fd of names) {
    let target;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = target.startsWith('socket:') ? 'socket' : target.startsWith('pipe:') ? 'pipe' : target.startsWith('/dev/pts/') ? '/dev/pts/*' : target;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/**
 * Live processes started on behalf of one CCX_HOME: every process whose
 * environment carries `CCX_HOME=<dir>` (daemon, CLIs, session programs —
 * sessions inherit the daemon's or the CLI's environment) and, when
 * `sessionsOnly`, also `CCX_SESSION_ID=`.
 */
export function processesOfHome(dir, { sessionsOnly = false } = {}) {
  const homeMarker = Buffer.from(`CCX_HOME=${dir}\0`);
  const sessionMarker = Buffer.from('CCX_SESSION_ID=');
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let environ;
    try {
      environ = readFileSync(`/proc/${name}/environ`);
    } catch {
      continue;
    }
    if (!environ.includes(homeMarker)) continue;
    if (sessionsOnly && !environ.includes(sessionMarker)) continue;
    if (isZombie(Number(name))) continue;
    out.push(Number(name));
  }
  return out;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(probe, timeoutMs = 15_000, what = 'condition', everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
}
