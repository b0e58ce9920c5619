import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { dirname, join, parse, sep } from 'node:path';
import { CcxError } from './errors.js';
import type { CcxPaths } from './paths.js';

/**
 * Whether a path can be trusted by the user `uid`: the rules OpenSSH applies
 * (StrictModes) to `~/.ssh` and tmux to its socket directory. Every check is
 * an lstat or a realpath, no open, so the CLI can afford them before every
 * connection (~20 syscalls). Nothing here creates anything.
 *
 * A path that does not exist yet passes (the daemon creates it, then checks
 * again); its nearest existing ancestor is checked instead.
 */

const GROUP_OTHER_WRITE = 0o022;
const GROUP_OTHER_ANY = 0o077;
const STICKY = 0o1000;

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    // No exception for absence: most of the files checked do not exist yet, and a thrown error costs ~20 µs.
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw setupError(path, error);
  }
}

/** An lstat that failed for another reason than absence (EACCES on a parent, ENOTDIR). */
function setupError(path: string, error: unknown): CcxError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return new CcxError('E_PERMISSION', `cannot look at ${path}: ${code}`, `make it readable by you, or set CCX_HOME to a directory of your own`);
  if (code === 'ENOTDIR') return new CcxError('E_SETUP', `a part of ${path} is a file, not a directory`, `move that file away, or set CCX_HOME to another directory`);
  return new CcxError('E_SETUP', `cannot look at ${path}: ${code ?? String(error)}`, 'set CCX_HOME to another directory');
}

function ownerText(uid: number): string {
  return uid === 0 ? 'root' : `uid ${uid}`;
}

/**
 * Every directory from `/` down to `path` (the real path, symlinks resolved)
 * must be owned by you or root, and not writable by group or others unless
 * sticky (`/tmp`): whoever can rename an entry on the way can put their own
 * directory in its place.
 */
export function assertSafeAncestors(path: string, uid: number, seen: Set<string> = new Set()): void {
  let existing = path;
  while (!lstatOrUndefined(existing)) {
    const up = dirname(existing);
    if (up === existing) return;
    existing = up;
  }
  const real = realpathSync.native(existing);
  const root = parse(real).root;
  const parts = real.slice(root.length).split(sep).filter(Boolean);
  let current = root;
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) current = join(current, parts[i - 1]!);
    // Directories already passed in this round of checks (every path shares `/`, most share CCX_HOME).
    if (seen.has(current)) continue;
    const st = lstatSync(current);
    if (!st.isDirectory()) continue; // the last component may be a file (a socket, a log); its own check follows
    if (st.uid !== uid && st.uid !== 0) {
      throw new CcxError(
        'E_PERMISSION',
        `${current} (on the way to ${path}) is owned by ${ownerText(st.uid)}, not by you or root: its owner could put their own files there`,
        `use a directory of your own: set CCX_HOME (or XDG_RUNTIME_DIR / XDG_STATE_HOME) to a path only you and root control`,
      );
    }
    if ((st.mode & GROUP_OTHER_WRITE) !== 0 && (st.mode & STICKY) === 0) {
      throw new CcxError(
        'E_PERMISSION',
        `${current} (on the way to ${path}) has mode ${(st.mode & 0o7777).toString(8)}: other users can rename what is in it`,
        `run: chmod go-w ${current}; or set CCX_HOME to a directory of your own`,
      );
    }
    seen.add(current);
  }
}

/**
 * The runtime directory: a real directory (never a symlink), owned by you,
 * mode 0700 — what the daemon requires before it creates its socket there.
 */
export function assertPrivateRuntimeDir(dir: string, uid: number, seen: Set<string> = new Set()): void {
  assertSafeAncestors(dirname(dir), uid, seen);
  const st = lstatOrUndefined(dir);
  if (!st) return;
  if (st.isSymbolicLink()) {
    throw new CcxError('E_PERMISSION', `${dir} is a symbolic link; ccx's socket directory must be a real directory`, `remove it if you did not make it (rm ${dir}), or set CCX_HOME to a directory of your own`);
  }
  if (!st.isDirectory()) {
    throw new CcxError('E_SETUP', `${dir} is not a directory; ccx keeps its socket there`, `move it away (mv ${dir} ${dir}.old), or set CCX_HOME to another directory`);
  }
  assertOwner(dir, st, uid);
  if ((st.mode & GROUP_OTHER_ANY) !== 0) {
    throw new CcxError('E_PERMISSION', `${dir} has mode ${(st.mode & 0o777).toString(8)}: other users can reach it`, `run: chmod 700 ${dir}`);
  }
}

/**
 * A directory of ccx's own (CCX_HOME, the state dir): it may be a symlink,
 * but where it leads must be a directory owned by you that others cannot
 * write, reached only through directories that pass `assertSafeAncestors`.
 */
export function assertOwnedDir(dir: string, uid: number, seen: Set<string> = new Set()): void {
  assertSafeAncestors(dirname(dir), uid, seen);
  const st = lstatOrUndefined(dir);
  if (!st) return;
  const real = realpathSync.native(dir);
  if (real !== dir) assertSafeAncestors(dirname(real), uid, seen);
  const target = lstatSync(real);
  const shown = real === dir ? dir : `${dir} (-> ${real})`;
  if (!target.isDirectory()) {
    throw new CcxError('E_SETUP', `${shown} is not a directory`, `move it away (mv ${dir} ${dir}.old), or set CCX_HOME to another directory`);
  }
  assertOwner(shown, target, uid);
  if ((target.mode & GROUP_OTHER_WRITE) !== 0) {
    const hint = (target.mode & STICKY) !== 0 ? 'a shared directory cannot hold ccx itself; use one of your own, e.g. CCX_HOME=$(mktemp -d)' : `run: chmod go-w ${real}`;
    throw new CcxError('E_PERMISSION', `${shown} has mode ${(target.mode & 0o7777).toString(8)}: other users can write to it`, hint);
  }
}

/**
 * A file ccx appends to or reads records from (events.log, daemon.log, the
 * socket): never a symlink, owned by you. A link planted there would make the
 * daemon write into, or trust, a file someone else chose.
 */
export function assertOwnedEntry(path: string, uid: number, kind: 'file' | 'socket'): void {
  const st = lstatOrUndefined(path);
  if (!st) return;
  if (st.isSymbolicLink()) {
    throw new CcxError('E_PERMISSION', `${path} is a symbolic link; ccx never follows one there`, `remove it if you did not make it: rm ${path}`);
  }
  const rightKind = kind === 'socket' ? st.isSocket() : st.isFile();
  if (!rightKind) {
    throw new CcxError('E_SETUP', `${path} is not a ${kind === 'socket' ? 'socket' : 'regular file'}`, `move it away: mv ${path} ${path}.old`);
  }
  assertOwner(path, st, uid);
}

function assertOwner(shown: string, st: Stats, uid: number): void {
  if (st.uid === uid) return;
  throw new CcxError(
    'E_PERMISSION',
    `${shown} is owned by ${ownerText(st.uid)}, not by you (${ownerText(uid)})`,
    'another user may control it; do not use it: set CCX_HOME (or XDG_RUNTIME_DIR / XDG_STATE_HOME) to a directory of your own',
  );
}

/**
 * Every path ccx would use, checked before the CLI connects or sends a byte
 * and by the daemon before it creates or trusts anything. No-op where uids do
 * not exist (Windows: the pipe's ACL is the gate).
 */
export function assertTrustedPaths(paths: CcxPaths, uid: number, platform: NodeJS.Platform = process.platform): void {
  if (platform === 'win32' || uid < 0) return;
  const seen = new Set<string>();
  if (paths.home) assertOwnedDir(paths.home, uid, seen);
  assertOwnedDir(paths.stateDir, uid, seen);
  // Not the start lock: it is put in place with link(2) and never written through; what is wrong there is the daemon's to report.
  for (const file of [paths.eventsLog, `${paths.eventsLog}.1`, paths.daemonLog, `${paths.daemonLog}.1`, paths.registryFile]) assertOwnedEntry(file, uid, 'file');
  assertOwnedDir(paths.sessionsDir, uid, seen);
  assertOwnedDir(dirname(paths.configFile), uid, seen);
  assertOwnedEntry(paths.configFile, uid, 'file');
  assertPrivateRuntimeDir(paths.runtimeDir, uid, seen);
  assertOwnedEntry(paths.socketPath, uid, 'socket');
}
