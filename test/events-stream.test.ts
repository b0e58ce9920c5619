import test, { type ExecutionContext } from 'ava';
import type { CcxEvent, DaemonStatus } from '@ccx/shared';
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
function openStream(h: Home, params: Record<string, unknown>, read: boolean, method = 'events.stream'): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(h.dir, 'run', 'ccxd.sock'));
    const decoder = new FrameDecoder();
    const frames: any[] = [];
    socket.on('error', () => {});
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: '0.1.0' }));
      socket.write(encodeFrame({ t: 'req', id: 1, method, params }));
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
async function status(h: Home): Promise<DaemonStatus | undefined> {
  const r = await h.ccx(['daemon', 'status', '--json']);
  return r.code === 0 ? parseJson<DaemonStatus>(r) : undefined;
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
      return now?.resources && now.resources.queuedWriteBytes >= STREAMS * 512 * 1024 ? now : undefined;
    }, 120_000, 'every unread stream to fill its socket');
    const grownMiB = (after.rssBytes - before.rssBytes) / 1024 / 1024;
    t.log(`RSS ${Math.round(before.rssBytes / 1048576)} → ${Math.round(after.rssBytes / 1048576)} MiB with ${STREAMS} unread streams over a ${Math.round((perFile * 2 * 200) / 1048576)} MiB log; queued ${Math.round((after.resources?.queuedWriteBytes ?? 0) / 1048576)} MiB`);
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

/** A valid session-status event padded to ~150 bytes, so a few fill the 4,000-byte log. */
const paddedEvent = (seq: number): CcxEvent => ({ seq, type: 'session-status', time: new Date(0).toISOString(), sessionId: 's'.repeat(100), status: 'running' });

/** An events log that rotates at 4,000 bytes, holding events 1..10. */
function smallLog(): InstanceType<typeof EventsLog> {
  const log = new EventsLog(join(tempDir(), 'events.log'), 4_000);
  for (let seq = 1; seq <= 10; seq++) log.append(paddedEvent(seq));
  return log;
}

test('a log reader follows the current file through a rotation, reading exactly what was appended meanwhile', (t) => {
  const log = smallLog();
  const event = paddedEvent;
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
  reader.close();
});

test('a log reader that two rotations left behind says events were lost instead of skipping them', (t) => {
  const log = smallLog();
  const event = paddedEvent;
  for (let seq = 11; seq <= 25; seq++) log.append(event(seq));
  // Two rotations while a reader sits in the old file: it says events were lost instead of skipping them.
  const behind = log.reader();
  for (let seq = 26; seq <= 90; seq++) log.append(event(seq));
  const got: number[] = [];
  for (let batch = behind.next(); batch.length > 0; batch = behind.next()) got.push(...batch.map((e: { seq: number }) => e.seq));
  t.true(got.length > 0 && got.every((s, i) => i === 0 || s === got[i - 1]! + 1), 'what it read is contiguous');
  t.true(behind.lost, 'the lost file is reported');
  behind.close();
});

/** A greeted raw connection with one stream open; `control` sends input/resize frames into it. */
function rawStream(h: Home, method: string, params: Record<string, unknown>): Promise<Stream & { control: (msg: Record<string, unknown>) => void }> {
  return openStream(h, params, true, method).then((s) => ({ ...s, control: (msg) => s.socket.write(encodeFrame({ ...msg, id: 1 })) }));
}

const ALL_TYPES = ['session-created', 'session-started', 'input-sent', 'session-output', 'session-resized', 'process-exit', 'client-attached', 'client-detached'];

/** Every event a follower got while a cat session was sent three words, then killed. */
async function eventsOfCatSession(t: ExecutionContext) {
  const h = home();
  const started = await h.ccx(['daemon', 'start']);
  t.is(started.code, 0, started.stderr);
  const follower = await rawStream(h, 'events.stream', { follow: true, types: ALL_TYPES.filter((type) => type !== 'session-resized') });
  const id = (await h.ccx(['start', '--', 'cat'])).stdout.trim();
  for (const word of ['alpha', 'beta', 'gamma']) t.is((await h.ccx(['send', id, word])).code, 0);
  t.is((await h.ccx(['kill', id])).code, 0);
  const events = (await waitFor(() => {
    const got = follower.frames.filter((f) => f.t === 'frame').map((f) => f.data);
    return got.some((e) => e.type === 'process-exit' && e.sessionId === id) ? got : undefined;
  }, 30_000, 'the session to end')) as Array<{ seq: number; type: string; [k: string]: unknown }>;
  follower.socket.destroy();
  return events;
}

test('every event has a unique seq, output events included', async (t) => {
  const events = await eventsOfCatSession(t);
  const seqs = events.map((e) => e.seq);
  t.is(new Set(seqs).size, seqs.length, `unique seqs: ${seqs.join(',')}`);
  t.true(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'in seq order');
  const outputs = events.filter((e) => e.type === 'session-output');
  t.true(outputs.length >= 3);
});

test('the echo of sent text comes after its input-sent event', async (t) => {
  const events = await eventsOfCatSession(t);
  // cat echoes each word: the output that holds it comes after the input-sent that typed it.
  const firstInput = events.findIndex((e) => e.type === 'input-sent');
  const firstOutput = events.findIndex((e) => e.type === 'session-output');
  t.true(firstInput >= 0 && firstInput < firstOutput, `input-sent at ${firstInput}, first output at ${firstOutput}`);
  let inputs = 0;
  for (const e of events) {
    if (e.type === 'input-sent') inputs++;
    // Never more output bursts started than inputs sent: each echo follows its cause.
    if (e.type === 'session-output') t.true(inputs > 0);
  }
});

/** A cat session attached at 100x30 over a raw stream, typed into key by key, then resized to 90x20; what an events follower got. */
async function typedAndResizedInAttach() {
  const h = home();
  const id = (await h.ccx(['start', '--cols', '80', '--rows', '24', '--', 'cat'])).stdout.trim();
  const follower = await rawStream(h, 'events.stream', { follow: true, types: ALL_TYPES, target: id });
  const attach = await rawStream(h, 'session.attach', { target: id, cols: 100, rows: 30 });
  await waitFor(() => attach.frames.some((f) => f.t === 'frame' && f.data.k === 'start'), 15_000, 'attach to start');
  const typed = 'secret-password';
  for (const ch of typed) {
    attach.control({ t: 'input', data: Buffer.from(ch).toString('base64') });
    await new Promise((r) => setTimeout(r, 10));
  }
  attach.control({ t: 'resize', cols: 90, rows: 20 });
  const of = (type: string) => follower.frames.filter((f) => f.t === 'frame' && f.data.type === type).map((f) => f.data);
  await waitFor(() => of('input-sent').reduce((n, e) => n + e.bytes, 0) === typed.length && of('session-resized').length >= 2, 15_000, 'input and resize events');
  return { h, id, typed, of, follower, attach };
}

test('keystrokes typed in attach are input-sent events with source attach (batched, bytes only)', async (t) => {
  const { id, typed, of, follower, attach } = await typedAndResizedInAttach();
  const inputs = of('input-sent');
  t.true(inputs.every((e) => e.source === 'attach' && e.sessionId === id));
  t.true(inputs.length < typed.length, `batched: ${inputs.length} events for ${typed.length} keystrokes`);
  t.false(JSON.stringify(inputs).includes('secret'), 'keystrokes are counted, never recorded');
  // The first keystroke's event comes before its echo.
  const all = follower.frames.filter((f) => f.t === 'frame').map((f) => f.data);
  t.true(all.findIndex((e) => e.type === 'input-sent') < all.findIndex((e) => e.type === 'session-output'));
  attach.socket.destroy();
  follower.socket.destroy();
});

test('the sizes of an attach client (at attach, at a later resize) are session-resized events', async (t) => {
  const { h, id, of, follower, attach } = await typedAndResizedInAttach();
  t.deepEqual(
    of('session-resized').map((e) => [e.cols, e.rows]),
    [
      [100, 30],
      [90, 20],
    ],
    'attaching at another size, then resizing',
  );
  // Persisted: the events log holds them too.
  const logged = (await h.ccx(['events', id, '--type', 'input-sent', '--type', 'session-resized', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.is(logged.filter((e) => e.type === 'session-resized').length, 2);
  attach.socket.destroy();
  follower.socket.destroy();
});

test('after kill -9 of the daemon, the next one never hands out again a seq an output event had', async (t) => {
  const h = home();
  t.is((await h.ccx(['daemon', 'start'])).code, 0);
  // Only output events after the last persisted one: they are what the events log never records.
  const follower = await rawStream(h, 'events.stream', { follow: true, types: ['session-output'] });
  const id = (await h.ccx(['start', '--', 'sh', '-c', 'for i in 1 2 3 4 5; do echo out-$i; sleep 0.1; done; exec sleep 600'])).stdout.trim();
  const outputs = (await waitFor(() => {
    const got = follower.frames.filter((f) => f.t === 'frame').map((f) => f.data as { seq: number; sessionId: string });
    return got.filter((e) => e.sessionId === id).length >= 3 ? got : undefined;
  }, 30_000, 'output events')) as Array<{ seq: number }>;
  follower.socket.destroy();
  const lastOutputSeq = Math.max(...outputs.map((e) => e.seq));
  const oldDaemon = h.daemonPid()!;
  process.kill(oldDaemon, 'SIGKILL');
  await waitFor(() => { try { process.kill(oldDaemon, 0); return undefined; } catch { return true; } }, 15_000, 'the daemon to die');
  // The next command starts a new daemon, which marks the session lost: its events are numbered above every output seq.
  t.is((await h.ccx(['list', '--all', '--json'])).code, 0);
  const after = parseJson<CcxEvent[]>(await h.ccx(['events', '--json', '--since', String(lastOutputSeq)]).then((r) => ({ ...r, stdout: `[${r.stdout.trim().split('\n').filter(Boolean).join(',')}]` })));
  t.true(after.some((e) => e.type === 'daemon-started'), JSON.stringify(after.map((e) => `${e.seq}:${e.type}`)));
  t.true(after.every((e) => e.seq > lastOutputSeq));
});
