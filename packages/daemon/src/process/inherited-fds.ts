import { closeSync, readdirSync, readFileSync } from 'node:fs';

/** O_CLOEXEC as /proc/<pid>/fdinfo reports it in `flags:` (octal, Linux). */
const O_CLOEXEC = 0o2000000;

/**
 * Closes every descriptor above stdio that this process inherited. Node and
 * libuv open all of their own with O_CLOEXEC, so a descriptor without it was
 * handed down by whoever started the daemon (a shell's `exec 251>file`, an
 * extra stdio of the caller's spawn): libuv's spawn passes such fds on, and
 * every session would inherit them. JavaScript cannot fcntl, but it can read
 * the flag from /proc/self/fdinfo and close the fd. Returns the fds closed;
 * nothing where /proc is absent.
 */
export function closeInheritedFds(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  // Node's own IPC channel, when started with one (child_process.fork), is inherited on purpose.
  const channel = Number(process.env.NODE_CHANNEL_FD);
  const closed: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!(fd > 2) || fd === channel) continue;
    const flags = fdFlags(fd);
    // Unknown (the fd was the directory listing's own, now closed): leave it.
    if (flags === undefined || (flags & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // Closed meanwhile: that is the goal.
    }
  }
  return closed;
}

function fdFlags(fd: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^flags:\s*([0-7]+)$/m.exec(text);
  return m ? parseInt(m[1]!, 8) : undefined;
}
