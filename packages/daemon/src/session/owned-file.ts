import { closeSync, fstatSync, lstatSync, openSync, constants as fsConstants } from 'node:fs';

/**
 * Reads a file that a session's program wrote where ccx looks for it
 * (Claude Code's state file and transcript, under the HOME the session's
 * environment names). Only a regular file owned by `uid` (-1: any owner) is
 * read. It is looked at before it is opened, since opening a device or a
 * terminal can act; it is opened without following a link, without blocking
 * (a FIFO swapped in must not hang the daemon) and never as a controlling
 * terminal. `read` gets the open fd and the file's size, and the fd is
 * closed after. Undefined when the file is missing or not such a file, or
 * when `read` threw: nothing in the file may crash the daemon.
 */
export function readOwnedFile<T>(path: string, uid: number, read: (fd: number, size: number) => T): T | undefined {
  let fd: number | undefined;
  try {
    if (!lstatSync(path).isFile()) return undefined;
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
    const st = fstatSync(fd);
    if (!st.isFile() || (uid >= 0 && st.uid !== uid)) return undefined;
    return read(fd, st.size);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
