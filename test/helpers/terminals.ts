/** Real terminals (node-pty) that tests drive a CLI in; each is ended by its pid in teardown. */
import type pty from 'node-pty';

/** An array to push every spawned terminal into: after the file's tests, each one left is SIGKILLed by pid. */
export function ptysFor(test: { after: { always: (fn: () => void) => void } }): pty.IPty[] {
  const ptys: pty.IPty[] = [];
  test.after.always(() => {
    for (const p of ptys) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {}
    }
  });
  return ptys;
}
