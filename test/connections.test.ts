import test from 'ava';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@ccx/shared';
import { homesFor, parseJson, waitFor, type Home } from './helpers/ccx.js';

/**
 * Issue 11 point 7: a connection that holds a slot without using it is
 * closed after a deadline, and the connection cap never turns a new client
 * away while an idle connection can be closed for it. Deadlines are set short
 * through the daemon's environment (CCX_IDLE_CONNECTION_MS and friends).
 */
const home = homesFor(test);

interface RawClient {
  socket: Socket;
  replies: any[];
  closed: Promise<void>;
  isClosed: () => boolean;
}

function rawClient(h: Home): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(h.dir, 'run', 'ccxd.sock'));
    const decoder = new FrameDecoder();
    const replies: any[] = [];
    let closedFlag = false;
    const closed = new Promise<void>((r) =>
      socket.on('close', () => {
        closedFlag = true;
        r();
      }),
    );
    socket.on('data', (chunk) => replies.push(...decoder.push(chunk)));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, replies, closed, isClosed: () => closedFlag }));
    socket.once('error', reject);
  });
}

/** A connection that has said hello and had its welcome. */
async function greeted(h: Home): Promise<RawClient> {
  const c = await rawClient(h);
  c.socket.write(encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: '0.1.0' }));
  await waitFor(() => c.replies.some((r) => r.t === 'welcome') || c.isClosed(), 30_000, 'welcome');
  if (!c.replies.some((r) => r.t === 'welcome')) throw new Error(`no welcome: ${JSON.stringify(c.replies)}`);
  return c;
}

/** A greeted connection with an `events -f` stream open (and so never idle). */
async function following(h: Home): Promise<RawClient> {
  const c = await greeted(h);
  c.socket.write(encodeFrame({ t: 'req', id: 1, method: 'events.stream', params: { follow: true } }));
  return c;
}

async function startDaemon(h: Home, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const r = await h.ccx(['daemon', 'start'], { env });
  if (r.code !== 0) throw new Error(`daemon start failed: ${r.stderr}`);
}

/** A daemon whose idle deadline is 400 ms, with a following connection and an idle one, once the idle one was closed. */
async function idleClosedBesideStream(h: Home): Promise<{ stream: RawClient; idle: RawClient }> {
  await startDaemon(h, { CCX_IDLE_CONNECTION_MS: '400' });
  const stream = await following(h);
  const idle = await greeted(h);
  await idle.closed;
  return { stream, idle };
}

test('a greeted connection that sends nothing, with no stream, is closed after the idle deadline', async (t) => {
  const h = home();
  const { stream, idle } = await idleClosedBesideStream(h);
  const fatal = idle.replies.find((r) => r.t === 'fatal');
  t.regex(fatal?.error.message ?? '', /no request for 400 ms and no open stream/);
  stream.socket.destroy();
});

test('a greeted connection with an open stream stays past the idle deadline', async (t) => {
  const h = home();
  const { stream } = await idleClosedBesideStream(h);
  // A second idle connection opened after the first one closed goes too: by then the stream's connection was idle for longer still.
  const later = await greeted(h);
  await later.closed;
  t.false(stream.isClosed(), 'the connection with an open events stream is kept');
  stream.socket.destroy();
});

test('a frame left incomplete is closed after the partial-frame deadline, even while bytes trickle in', async (t) => {
  const h = home();
  await startDaemon(h, { CCX_PARTIAL_FRAME_MS: '500' });
  const c = await greeted(h);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1000);
  c.socket.write(header);
  let sent = 0;
  // One byte every 50 ms keeps the connection from being idle; the frame is never completed.
  const drip = setInterval(() => {
    if (sent < 999 && !c.isClosed()) c.socket.write(Buffer.from('x')), sent++;
  }, 50);
  try {
    await waitFor(() => c.isClosed(), 20_000, 'the dripping connection to be closed');
  } finally {
    clearInterval(drip);
  }
  t.regex(c.replies.find((r) => r.t === 'fatal')?.error.message ?? '', /frame was not completed within 500 ms/);
  t.true(sent < 999, `closed before the frame could complete (${sent} bytes sent)`);
  const list = await h.ccx(['list', '--json']);
  t.is(list.code, 0, list.stderr);
});

test('a decoder holds no more than the bytes of the frame it is receiving', (t) => {
  const declared = 1024 * 1024;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(declared);
  // Declaring 1 MiB and sending 10 bytes allocates nothing near 1 MiB.
  const teaser = new FrameDecoder();
  teaser.push(Buffer.concat([header, Buffer.alloc(10, 0x20)]));
  t.true(teaser.capacityBytes < 64 * 1024, `capacity ${teaser.capacityBytes}`);
  // A 1 MiB frame arriving in 64 KiB chunks is held in at most its own size, not a doubled 2 MiB.
  const decoder = new FrameDecoder();
  const body = Buffer.from(JSON.stringify('y'.repeat(declared - 2)));
  const frame = Buffer.concat([header, body]);
  for (let at = 0; at < frame.length - 1; at += 64 * 1024) decoder.push(frame.subarray(at, Math.min(at + 64 * 1024, frame.length - 1)));
  t.is(decoder.bufferedBytes, frame.length - 1);
  t.true(decoder.capacityBytes <= frame.length, `capacity ${decoder.capacityBytes} for a ${frame.length}-byte frame`);
  t.is(decoder.push(frame.subarray(frame.length - 1)).length, 1);
});

test('1,024 greeted idle connections do not lock `ccx list` out: the longest-idle one is closed, an open stream is kept', async (t) => {
  const h = home();
  await startDaemon(h);
  const stream = await following(h);
  const idle: RawClient[] = [];
  try {
    // The default cap, 1,024 connections, filled with idle ones (batches keep the accept queue short).
    for (let batch = 0; batch < 16; batch++) idle.push(...(await Promise.all(Array.from({ length: 64 }, () => greeted(h)))));
    const list = await h.ccx(['list', '--json'], { timeoutMs: 60_000 });
    t.is(list.code, 0, list.stderr);
    t.deepEqual(parseJson(list), []);
    // The ones closed for newcomers are among the first batch: they have been idle the longest.
    const evicted = await waitFor(() => idle.slice(0, 64).find((c) => c.isClosed()), 10_000, 'a longest-idle connection to be closed');
    t.regex(evicted.replies.find((r) => r.t === 'fatal')?.error.message ?? '', /idle the longest/);
    t.true(idle.slice(64).every((c) => !c.isClosed()), 'later connections are kept');
    t.false(stream.isClosed(), 'the connection with an open stream, older than all, is kept');
  } finally {
    for (const c of idle) c.socket.destroy();
    stream.socket.destroy();
  }
});

test('when every connection holds a stream, a client past the cap is told why instead of being dropped', async (t) => {
  const h = home();
  await startDaemon(h, { CCX_MAX_CONNECTIONS: '4' });
  const streams = [await following(h), await following(h), await following(h), await following(h)];
  try {
    const list = await h.ccx(['list']);
    t.is(list.code, 4, list.stderr);
    t.regex(list.stderr, /serves 4 connections, each with an open stream or a request \[E_DAEMON_UNAVAILABLE\]/);
    t.true(streams.every((s) => !s.isClosed()));
    streams.pop()!.socket.destroy();
    const again = await waitFor(async () => {
      const r = await h.ccx(['list', '--json']);
      return r.code === 0 ? r : undefined;
    }, 15_000, 'list to succeed once a slot is free');
    t.deepEqual(parseJson(again), []);
  } finally {
    for (const s of streams) s.socket.destroy();
  }
});
