import { lstatSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Why a session directory is not ours to trust, or undefined when it is: a
 * real directory owned by the daemon's uid, holding (if anything) a regular
 * meta.json owned by that uid. A record planted by someone else (a pid and
 * start time of a victim) would otherwise be acted on by the reaper — as
 * root, that is a SIGKILL of any process on the machine.
 */
export function foreignRecordReason(dir: string, uid: number): string | undefined {
  if (uid < 0) return undefined;
  for (const [path, kind] of [[dir, 'directory'], [join(dir, 'meta.json'), 'file']] as const) {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return undefined; // absent: the caller's own handling (incomplete session) applies
    }
    if (st.isSymbolicLink()) return `${path} is a symbolic link`;
    if (kind === 'directory' ? !st.isDirectory() : !st.isFile()) return `${path} is not a ${kind}`;
    if (st.uid !== uid) return `${path} is owned by uid ${st.uid}, not by the daemon's uid ${uid}`;
  }
  return undefined;
}
