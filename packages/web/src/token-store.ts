import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, constants as fsConstants, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CcxError, type CcxPaths } from '@ccx/shared';

/** 32 random bytes: 256 bits, base64url (43 characters, safe in a URL fragment and a cookie). */
const TOKEN_BYTES = 32;
const TOKEN_FILE_MODE = 0o600;

/** Where `ccx web` keeps its token: beside the daemon's state, readable by the user only. */
export function webTokenFile(paths: CcxPaths): string {
  return join(paths.stateDir, 'web-token');
}

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * The token in the file, made when absent. A file another user owns, or that
 * others can read, is refused: whoever reads it controls every session.
 */
export function readOrCreateToken(file: string, uid: number): string {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw tokenFileError(file, error);
    return writeToken(file, newToken());
  }
  try {
    const stat = fstatSync(fd);
    if (uid >= 0 && stat.uid !== uid) throw new CcxError('E_PERMISSION', `${file} belongs to another user`, `remove it; ccx web makes a new one: rm ${file}`);
    if ((stat.mode & 0o077) !== 0) throw new CcxError('E_PERMISSION', `${file} can be read by others (mode ${(stat.mode & 0o777).toString(8)})`, `make a new token: ccx web --rotate-token`);
    const token = readFileSync(fd, 'utf8').trim();
    return /^[A-Za-z0-9_-]{32,}$/.test(token) ? token : writeToken(file, newToken());
  } finally {
    closeSync(fd);
  }
}

/** Replaces the token (a temp file renamed over the old one): pages and programs holding the old one get 401. */
export function rotateToken(file: string): string {
  return writeToken(file, newToken());
}

function writeToken(file: string, token: string): string {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    // A gateway for a remote daemon (--host) may be the first thing to use this machine's state directory.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, TOKEN_FILE_MODE);
    try {
      writeSync(fd, token + '\n');
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {}
    throw tokenFileError(file, error);
  }
  return token;
}

function tokenFileError(file: string, error: unknown): CcxError {
  return new CcxError('E_SETUP', `cannot use the web token file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'check the ccx state directory: ccx daemon status');
}

/**
 * Constant-time comparison. Both sides are hashed first so that lengths
 * differ never (timingSafeEqual throws on unequal lengths, and an early
 * return on length would tell an attacker the token's length).
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
