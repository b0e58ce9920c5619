import { appendFileSync, truncateSync } from 'node:fs';

/**
 * Appends one line to a JSON-lines file whose size the caller tracks, and
 * returns the new size. A full disk can take part of a line; the next line
 * would then be glued to it and both lost to readers, so a failed append is
 * cut back to `sizeBefore` before the error is rethrown.
 */
export function appendLine(file: string, line: string, sizeBefore: number): number {
  try {
    appendFileSync(file, line, { mode: 0o600 });
  } catch (error) {
    try {
      truncateSync(file, sizeBefore);
    } catch {}
    throw error;
  }
  return sizeBefore + Buffer.byteLength(line);
}
