import { closeSync, constants, ftruncateSync, openSync, writeSync } from 'node:fs';

/** Append, create, and never through a symlink: one planted in the state dir would send our lines elsewhere. */
const APPEND_NOFOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/**
 * Appends one line to a JSON-lines file whose size the caller tracks, and
 * returns the new size. A full disk can take part of a line; the next line
 * would then be glued to it and both lost to readers, so a failed append is
 * cut back to `sizeBefore` (through the same fd) before the error is rethrown.
 */
export function appendLine(file: string, line: string, sizeBefore: number): number {
  const fd = openSync(file, APPEND_NOFOLLOW, 0o600);
  try {
    const bytes = Buffer.from(line);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    return sizeBefore + bytes.length;
  } catch (error) {
    try {
      ftruncateSync(fd, sizeBefore);
    } catch {}
    throw error;
  } finally {
    closeSync(fd);
  }
}
