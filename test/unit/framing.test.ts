/** Unit tests of packages/shared/src/framing.ts: FrameDecoder gets back every frame however the stream is cut, in each of its modes. */
import test from 'ava';
import { encodeFrame, FrameDecoder, type FrameDecoderOptions } from '../../packages/shared/src/framing.js';

/** A seeded source (mulberry32), so that a failing seed can be run again. */
function rng(seed: number): (min: number, max: number) => number {
  let a = seed >>> 0;
  return (min, max) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return min + Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * (max - min + 1));
  };
}

interface OutFrame {
  t: 'frame';
  id: number;
  data: { k: 'out'; offset: number; data: Buffer };
}

/** Output frames of 0 B to 300 KiB (bigger than a socket read's share) and JSON frames between them. */
function randomMessages(int: (min: number, max: number) => number): unknown[] {
  const messages: unknown[] = [];
  for (let n = int(1, 40); n > 0; n--) {
    if (int(0, 3) === 0) messages.push({ t: 'res', id: n, ok: true, result: { text: 'é'.repeat(int(0, 50)) } });
    else {
      const size = int(0, 2) === 0 ? int(0, 64) : int(1, 300 * 1024);
      const data = Buffer.alloc(size, 0);
      for (let i = 0; i < size; i += 997) data[i] = (i + n) & 0xff;
      messages.push({ t: 'frame', id: n, data: { k: 'out', offset: n, data } } satisfies OutFrame);
    }
  }
  return messages;
}

/** A frame as the test compares it: payloads copied out at once, since transient ones are good only until the next push. */
function snapshot(frame: unknown): unknown {
  const f = frame as OutFrame;
  if (f.t !== 'frame') return frame;
  return { ...f, data: { ...f.data, data: Buffer.from(f.data.data).toString('base64') } };
}

const MODES: Record<string, FrameDecoderOptions> = {
  'a peer it does not trust (the daemon reading clients)': {},
  'the trusted daemon (the CLI, payloads lent)': { trustDeclaredLength: true },
  'transient payloads (logs copying into its slabs)': { trustDeclaredLength: true, transientPayloads: true },
};

for (const [mode, options] of Object.entries(MODES)) {
  test(`FrameDecoder returns every frame of a stream cut anywhere, for ${mode}`, (t) => {
    for (let seed = 1; seed <= 30; seed++) {
      const int = rng(seed);
      const messages = randomMessages(int);
      const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
      const decoder = new FrameDecoder(undefined, options);
      // One reused read buffer, as a socket with onread has: every chunk is overwritten by the next.
      const readBuffer = Buffer.alloc(1024 * 1024);
      const got: unknown[] = [];
      for (let at = 0; at < stream.length; ) {
        const size = Math.min(stream.length - at, int(0, 3) === 0 ? int(1, 8) : int(1, 1024 * 1024));
        stream.copy(readBuffer, 0, at, at + size);
        const reused = options.transientPayloads === true;
        const chunk = reused ? readBuffer.subarray(0, size) : Buffer.from(readBuffer.subarray(0, size));
        got.push(...decoder.push(chunk).map(snapshot));
        at += size;
      }
      t.deepEqual(got, messages.map(snapshot), `seed ${seed}`);
      t.is(decoder.bufferedBytes, 0);
    }
  });
}
