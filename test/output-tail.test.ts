import test from 'ava';
import type { SessionInfo } from '@ccx/shared';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHome, outputLogBytes, parseJson, waitFor, type Home } from './helpers/ccx.js';

const homes: Home[] = [];
const scratch: string[] = [];
test.after.always(async () => {
  await Promise.all(homes.map((h) => h.cleanup()));
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

// node-pty on Linux drops the last few KiB of a program that prints fast and
// exits (libuv takes POLLHUP after a short PTY read for end-of-file). The
// daemon drains the PTY itself; every byte must reach the output log.
test('a program that exits right after printing 2 MB loses no output', async (t) => {
  const h = makeHome();
  homes.push(h);
  const dir = mkdtempSync(join(tmpdir(), 'ccxo-'));
  scratch.push(dir);
  const file = join(dir, 'big.txt');
  const lines = 25_000;
  const line = `${'x'.repeat(70)} end\n`;
  writeFileSync(file, line.repeat(lines - 1) + 'LAST LINE\n');
  const expected = (line.length + 1) * (lines - 1) + 'LAST LINE\r\n'.length; // the PTY turns \n into \r\n
  for (let run = 0; run < 3; run++) {
    const r = await h.ccx(['start', '--json', '--', 'cat', file]);
    t.is(r.code, 0, r.stderr);
    const info = parseJson(r);
    h.track(info.pid);
    const ended = await waitFor(async () => {
      const list = parseJson<SessionInfo[]>(await h.ccx(['list', '--all', '--json'])) as Array<{ id: string; status: string; outputBytes: number }>;
      const s = list.find((x) => x.id === info.id);
      return s && s.status !== 'running' ? s : undefined;
    }, 30_000, 'cat to exit');
    t.is(ended.outputBytes, expected, `run ${run}: bytes recorded when the session ended`);
    const log = outputLogBytes(h, info.id);
    t.is(log.length, expected, `run ${run}: bytes in the output log`);
    t.true(log.subarray(-11).toString() === 'LAST LINE\r\n', `run ${run}: the log ends with the last line`);
  }
});
