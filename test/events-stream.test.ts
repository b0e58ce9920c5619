import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@ccx/shared';
import { homesFor, parseJson, tempDirsFor, waitFor, type Home } from './helpers/ccx.js';
import { EventsLog } from '../packages/daemon/dist/events/events-log.js';

/**
 * Issue 11 point 8: an `events` stream reads the events log from disk as it
 * goes, so a follower that does not read holds a chunk and its socket
 * buffer, never the parsed log.
 */
const home = homesFor(test);
const tempDir = tempDirsFor(test);

/** Writes `count` events (seq from..) of ~200 bytes each as JSON lines. */
function eventLines(from: number, count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify({ seq: from + i, type: 'session-status', time: new Date(0).toISOString(), sessionId: 'padpadpa', status: 'running', note: 'x'.repeat(120) }));
  }
  return lines.join('\n') + '\n';
}

interface Stream {
  socket: Socket;
  frames: any[];
}

/** A raw connection that asks for `events.stream` and then either reads everything or nothing at all. */
function openStream(h: Home, params: Record<string, unknown>, read: boolean): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(h.dir, 'run', 'ccxd.sock'));
    const decoder = new FrameDecoder();
    const frames: any[] = [];
    socket.on('error', () => {});
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: '0.1.0' }));
      socket.write(encodeFrame({ t: 'req', id: 1, method: 'events.stream', params }));
      socket.on('data', (chunk) => {
        frames.push(...decoder.push(chunk));
        // Not reading: after the welcome, the socket is paused and the daemon's side fills up.
        if (!read) socket.pause();
      });
      resolve({ socket, frames });
    });
  });
}

/** `daemon status --json`, or undefined while the daemon does not answer in time. */
async function status(h: Home): Promise<any> {
  const r = await h.ccx(['daemon', 'status', '--json']);
  return r.code === 0 ? parseJson(r) : undefined;
}

test("unread events streams over a large events log keep the daemon's memory bounded", async (t) => {
  const h = home();
  const state = join(h.dir, 'state');
  mkdirSync(state, { recursive: true, mode: 0o700 });
  // ~23 MiB of events across the rotated file and the current one.
  const perFile = 60_000;
  writeFileSync(join(state, 'events.log.1'), eventLines(1, perFile), { mode: 0o600 });
  writeFileSync(join(state, 'events.log'), eventLines(perFile + 1, perFile), { mode: 0o600 });
  const started = await h.ccx(['daemon', 'start']);
  t.is(started.code, 0, started.stderr);
  const before = await waitFor(() => status(h), 30_000, 'status');
  const STREAMS = 10;
  const streams: Stream[] = [];
  try {
    for (let i = 0; i < STREAMS; i++) streams.push(await openStream(h, { follow: true }, false));
    // Every stream has filled its socket: the daemon holds what it could not send.
    const after = await waitFor(async () => {
      const now = await status(h);
      return now && now.resources.queuedWriteBytes >= STREAMS * 512 * 1024 ? now : undefined;
    }, 120_000, 'every unread stream to fill its socket');
    const grownMiB = (after.rssBytes - before.rssBytes) / 1024 / 1024;
    t.log(`RSS ${Math.round(before.rssBytes / 1048576)} → ${Math.round(after.rssBytes / 1048576)} MiB with ${STREAMS} unread streams over a ${Math.round((perFile * 2 * 200) / 1048576)} MiB log; queued ${Math.round(after.resources.queuedWriteBytes / 1048576)} MiB`);
    // Each stream may hold its socket buffer (~1 MiB of frames and Node's bookkeeping for them) and a
    // read chunk, a few MiB; the whole log parsed per stream held ~50 MiB each (on main: 158 → 682 MiB).
    t.true(grownMiB < STREAMS * 8, `RSS grew by ${grownMiB.toFixed(1)} MiB`);

    // A stream that reads gets the whole log, in order, once each, then the live events.
    const reader = await openStream(h, { follow: false }, true);
    const end = await waitFor(() => reader.frames.find((f) => f.t === 'end'), 60_000, 'the reading stream to end');
    const seqs = reader.frames.filter((f) => f.t === 'frame').map((f) => f.data.seq);
    t.is(seqs.length, perFile * 2 + 1, 'every stored event plus daemon-started');
    t.true(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), 'strictly increasing');
    t.is(end.result.lastSeq, perFile * 2 + 1);
    reader.socket.destroy();
  } finally {
    for (const s of streams) s.socket.destroy();
  }
});

test('a log reader follows the current file through a rotation and reads what was appended meanwhile', (t) => {
  const dir = tempDir();
  const event = (seq: number) => ({ seq, type: 'session-status' as const, time: new Date(0).toISOString(), pad: 'y'.repeat(100) });
  const log = new EventsLog(join(dir, 'events.log'), 4_000);
  for (let seq = 1; seq <= 10; seq++) log.append(event(seq));
  const reader = log.reader();
  const seen: number[] = [];
  const drain = (): void => {
    for (let batch = reader.next(); batch.length > 0; batch = reader.next()) seen.push(...batch.map((e: { seq: number }) => e.seq));
  };
  drain();
  // A reader at the end sees nothing until more is appended, then exactly that, across a rotation.
  for (let seq = 11; seq <= 25; seq++) log.append(event(seq));
  drain();
  t.deepEqual(seen, Array.from({ length: 25 }, (_, i) => i + 1));
  t.false(reader.lost);
  // Two rotations while a reader sits in the old file: it says events were lost instead of skipping them.
  const behind = log.reader();
  for (let seq = 26; seq <= 90; seq++) log.append(event(seq));
  const got: number[] = [];
  for (let batch = behind.next(); batch.length > 0; batch = behind.next()) got.push(...batch.map((e: { seq: number }) => e.seq));
  t.true(got.length > 0 && got.every((s, i) => i === 0 || s === got[i - 1]! + 1), 'what it read is contiguous');
  t.true(behind.lost, 'the lost file is reported');
  reader.close();
  behind.close();
});
