/**
 * Unit tests of packages/daemon/src/session/owned-file.ts: the one gate
 * through which the daemon reads a file a session's program wrote (Claude
 * Code's state file and transcript). Real files, links and FIFOs.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOwnedFile } from '../../packages/daemon/src/session/owned-file.js';

const uid = process.getuid?.() ?? -1;
const firstByte = (fd: number) => {
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, 0);
  return b.toString();
};

function dir(t: { teardown: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'ccx-owned-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test("a regular file of the daemon's uid is read, with its size", (t) => {
  const file = join(dir(t), 'state.json');
  writeFileSync(file, 'x1234');
  t.deepEqual(readOwnedFile(file, uid, (fd, size) => [firstByte(fd), size]), ['x', 5]);
});

test('a file owned by another uid is not read', (t) => {
  const file = join(dir(t), 'state.json');
  writeFileSync(file, 'x');
  t.is(readOwnedFile(file, uid + 1, () => 'read'), undefined);
});

test('a symlink to a regular file is not followed', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'elsewhere'), 'x');
  symlinkSync(join(d, 'elsewhere'), join(d, 'state.json'));
  t.is(readOwnedFile(join(d, 'state.json'), uid, () => 'read'), undefined);
});

test('a FIFO planted in its place is refused without hanging the reader', (t) => {
  const fifo = join(dir(t), 'state.json');
  execFileSync('mkfifo', [fifo]);
  t.is(readOwnedFile(fifo, uid, () => 'read'), undefined);
});

test('a device is not opened', (t) => {
  t.is(readOwnedFile('/dev/null', -1, () => 'read'), undefined);
});

test('a missing file is undefined rather than an error', (t) => {
  t.is(readOwnedFile(join(dir(t), 'state.json'), uid, () => 'read'), undefined);
});

test('a reader that throws (a torn or foreign file) is undefined rather than an error', (t) => {
  const file = join(dir(t), 'state.json');
  writeFileSync(file, '{not json');
  t.is(readOwnedFile(file, uid, () => JSON.parse('{not json')), undefined);
});
