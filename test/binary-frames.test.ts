import test from 'ava';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { effectiveVersion, encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '@ccx/shared';
import { homesFor, outputLogBytes, startSession, waitFor, type Home } from './helpers/ccx.js';

// Output crosses the socket as binary frames (packages/shared/src/framing.ts):
// a 4-byte length, then 0x00, a u32 header length, a JSON header and the raw
// bytes. Control messages stay JSON frames.

const home = homesFor(test);

/** Every byte value, so that nothing survives by being valid UTF-8 or JSON. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const outFrame = (data: Buffer, offset = 0) => ({ t: 'frame', id: 7, data: { k: 'out', offset, data } });

/** Splits a byte stream into raw frame bodies by the length prefix alone, as a peer that knows only the prefix would. */
function bodiesOf(stream: Buffer): Buffer[] {
  const bodies: Buffer[] = [];
  for (let at = 0; stream.length - at >= 4; ) {
    const length = stream.readUInt32BE(at);
    if (stream.length - at - 4 < length) break;
    bodies.push(stream.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return bodies;
}

test('an output frame is a binary frame whose body ends with the raw bytes', (t) => {
  const frame = encodeFrame(outFrame(ALL_BYTES, 12));
  const [body] = bodiesOf(frame);
  t.is(body![0], 0x00, 'a binary body starts with the 0x00 tag, never { as JSON does');
  t.deepEqual(body!.subarray(body!.length - ALL_BYTES.length), ALL_BYTES);
  t.true(frame.length < ALL_BYTES.length + 100, `${frame.length} bytes on the wire for ${ALL_BYTES.length} of output`);
});

test('the decoder gives back an output frame whole: its header fields, its bytes as a Buffer', (t) => {
  const [message] = new FrameDecoder().push(encodeFrame(outFrame(ALL_BYTES, 4096))) as any[];
  t.is(message.t, 'frame');
  t.is(message.id, 7);
  t.is(message.data.k, 'out');
  t.is(message.data.offset, 4096);
  t.true(Buffer.isBuffer(message.data.data));
  t.deepEqual(message.data.data, ALL_BYTES);
});

/** The bytes an output frame's body takes besides its data. */
const frameOverhead = (): number => encodeFrame(outFrame(Buffer.alloc(0))).length - 4;

test('a binary frame of exactly MAX_FRAME_BYTES is decoded', (t) => {
  const overhead = frameOverhead();
  const largest = encodeFrame(outFrame(Buffer.alloc(MAX_FRAME_BYTES - overhead, 0xff)));
  t.is(largest.readUInt32BE(0), MAX_FRAME_BYTES);
  const [message] = new FrameDecoder().push(largest) as any[];
  t.is(message.data.data.length, MAX_FRAME_BYTES - overhead);
});

test('a binary frame one byte over MAX_FRAME_BYTES is refused by the encoder', (t) => {
  const overhead = frameOverhead();
  t.throws(() => encodeFrame(outFrame(Buffer.alloc(MAX_FRAME_BYTES - overhead + 1))), { instanceOf: FrameError });
});

test('a binary frame one byte over MAX_FRAME_BYTES is refused by the decoder from its length prefix', (t) => {
  // Only the 4-byte length and the tag arrive: the decoder refuses without waiting for the body.
  const prefix = Buffer.from([0, 0, 0, 0, 0x00]);
  prefix.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
  const error = t.throws(() => new FrameDecoder().push(prefix), { instanceOf: FrameError });
  t.is(error?.reason, 'oversized');
});

test('a binary frame whose header length overruns its body is an invalid-binary framing error', (t) => {
  const body = Buffer.from([0x00, 0, 0, 0x10, 0x00, 0x7b]);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
  const error = t.throws(() => new FrameDecoder().push(frame), { instanceOf: FrameError });
  t.is(error?.reason, 'invalid-binary');
});

test('payloads handed out by a trusting decoder stay intact while later frames arrive in odd-sized chunks', (t) => {
  const payloads = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1000 + i * 997, i));
  const stream = Buffer.concat([...payloads.map((p, i) => encodeFrame(outFrame(p, i))), encodeFrame({ t: 'end', id: 7, result: null })]);
  const decoder = new FrameDecoder(MAX_FRAME_BYTES, { trustDeclaredLength: true });
  const got: any[] = [];
  for (let at = 0, size = 1; at < stream.length; at += size, size = (size * 7 + 3) % 9001) got.push(...decoder.push(stream.subarray(at, at + size)));
  t.is(got.length, payloads.length + 1);
  got.slice(0, -1).forEach((m, i) => t.deepEqual(m.data.data, payloads[i], `payload ${i}`));
  t.is(got.at(-1).t, 'end');
});

/** A protocol client on the daemon's socket that keeps every byte it receives. */
function rawClient(h: Home): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(h.dir, 'run', 'ccxd.sock'));
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed }));
    socket.once('error', reject);
  });
}

test('logs: the output reaches the client in binary frames that carry the log bytes unencoded', async (t) => {
  const h = home();
  const info = await startSession(h, ['--', 'node', '-e', 'process.stdout.write(Buffer.from([...Array(256).keys()])); setTimeout(() => {}, 600_000)']);
  const log = await waitFor(() => {
    const bytes = outputLogBytes(h, info.id);
    return bytes.length >= 256 ? bytes : undefined;
  }, 15_000, 'the output in the log');
  const c = await rawClient(h);
  c.socket.write(encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: effectiveVersion({}) }));
  c.socket.write(encodeFrame({ t: 'req', id: 1, method: 'session.logs', params: { target: info.id } }));
  const bodies = await waitFor(() => {
    const all = bodiesOf(c.received());
    return all.some((b) => b[0] === 0x7b && JSON.parse(b.toString('utf8')).t === 'end') ? all : undefined;
  }, 15_000, 'the logs stream to end');
  c.socket.destroy();
  const binary = bodies.filter((b) => b[0] === 0x00);
  const out = (new FrameDecoder().push(c.received()) as any[]).filter((m) => m.t === 'frame' && m.data.k === 'out');
  t.true(binary.length > 0, 'output came in binary frames');
  t.is(binary.length, out.length, 'one binary frame per output frame');
  t.deepEqual(Buffer.concat(out.map((m) => m.data.data)), log, 'the output frames hold the log');
  binary.forEach((body, i) => t.deepEqual(body.subarray(body.length - out[i].data.data.length), out[i].data.data, `frame ${i} carries its bytes as they are`));
  t.true(bodies.filter((b) => b[0] !== 0x00).every((b) => b[0] === 0x7b), 'every other frame is JSON (welcome, start, end)');
});

test('hello: the only answer a protocol-1 client gets is a JSON fatal frame with E_VERSION', async (t) => {
  const h = home();
  await startSession(h, ['--name', 'keep', '--', 'sleep', '600']);
  const c = await rawClient(h);
  c.socket.write(encodeFrame({ t: 'hello', protocol: 1, version: effectiveVersion({}) }));
  c.socket.write(encodeFrame({ t: 'req', id: 1, method: 'session.logs', params: { target: 'keep' } }));
  await c.closed;
  const bodies = bodiesOf(c.received());
  t.true(bodies.length >= 1);
  t.true(bodies.every((b) => b[0] === 0x7b), 'only JSON frames, which a protocol-1 client can parse');
  const fatal = JSON.parse(bodies[0]!.toString('utf8'));
  t.is(fatal.t, 'fatal');
  t.is(fatal.error.code, 'E_VERSION');
  t.regex(fatal.error.message, /protocol 1\) cannot talk to daemon .* \(protocol 2\)/);
});

test('a client still reading the end of a stream gets all of it, up to the end frame, however long ago it sent its request', async (t) => {
  // Output now reaches a follower faster than a slow reader takes it: the
  // stream can end with a megabyte still queued for the client, long after
  // its request, and the idle deadline (3 s here) must not cut that off.
  const h = home();
  const started = await h.ccx(['daemon', 'start'], { env: { CCX_IDLE_CONNECTION_MS: '3000' } });
  t.is(started.code, 0, started.stderr);
  const info = await startSession(h, ['--', 'node', '-e', "process.stdout.write('x'.repeat(4_000_000)); setTimeout(() => {}, 600_000)"]);
  const log = await waitFor(() => {
    const bytes = outputLogBytes(h, info.id);
    return bytes.length >= 4_000_000 ? bytes : undefined;
  }, 30_000, 'the output in the log');
  const c = await rawClient(h);
  const decoder = new FrameDecoder();
  const messages: any[] = [];
  // One socket chunk (≤ 64 KiB) every 300 ms: the last ~1.4 MiB, queued when the stream ends, takes several seconds.
  c.socket.removeAllListeners('data');
  c.socket.on('data', (chunk) => {
    messages.push(...decoder.push(chunk));
    c.socket.pause();
    setTimeout(() => c.socket.resume(), 300);
  });
  c.socket.write(encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: effectiveVersion({}) }));
  c.socket.write(encodeFrame({ t: 'req', id: 1, method: 'session.logs', params: { target: info.id } }));
  await Promise.race([c.closed, waitFor(() => messages.some((m) => m.t === 'end'), 150_000, 'the end of the stream')]);
  c.socket.destroy();
  const end = messages.findIndex((m) => m.t === 'end');
  t.true(end >= 0, `the stream end was read (got: ${[...new Set(messages.map((m) => m.t))].join(', ')})`);
  t.is(messages[end]?.error, undefined);
  t.false(messages.slice(0, end).some((m) => m.t === 'fatal'), 'no fatal before the end');
  const out = messages.filter((m) => m.t === 'frame' && m.data.k === 'out').map((m) => m.data.data);
  t.true(out.every((d) => Buffer.isBuffer(d)));
  t.deepEqual(Buffer.concat(out), log);
});
