/**
 * An acknowledgement means what it says (issue 11 point 9): a send's reply
 * separates the bytes the kernel took (`written`) from those still in the
 * session's input queue (`queued`); the queue is bounded (E_BUSY when full);
 * text of any size is streamed in order.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { effectiveVersion, encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@ccx/shared';
import { homesFor, parseJson, waitFor, type Home, type RunResult } from './helpers/ccx.js';

const home = homesFor(test);

async function start(h: Home, args: string[]): Promise<string> {
  const r = await h.ccx(['start', '--json', ...args]);
  if (r.code !== 0) throw new Error(`start failed (${r.code}): ${r.stderr}`);
  return parseJson(r).id;
}

/** Printable text of `bytes` bytes in lines, not ending in a newline (`--stdin` drops one). */
function text(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes - 1).replace(/(.{99})./g, '$1\n') + '.';
}

/** Sends of 500,000 bytes to a program that reads nothing, until one is refused (six at most): the replies of those acked, the refused one. */
async function sendsToNonReader(h: Home) {
  // Raw mode and no reader: the kernel takes a few KiB, the rest waits in the daemon.
  const id = await start(h, ['--', 'sh', '-c', 'stty raw -echo; echo ready; exec sleep 600']);
  await waitFor(async () => (await h.ccx(['logs', id])).stdout.includes('ready'), 30_000, 'ready');
  const input = text(500_000);
  const replies: any[] = [];
  let busy: RunResult | undefined;
  for (let i = 0; i < 6 && !busy; i++) {
    const r = await h.ccx(['send', id, '--stdin', '--no-enter', '--json'], { input });
    if (r.code === 0) replies.push(parseJson(r));
    else busy = r;
  }
  return { id, input, replies, busy };
}

test('to a program that reads nothing, the reply says what was written, what queued', async (t) => {
  const { replies } = await sendsToNonReader(home());
  t.true(replies.length >= 1 && replies.length <= 2, `${replies.length} sends acked`);
  for (const reply of replies) {
    t.is(reply.written + reply.queued, reply.bytes);
    t.is(reply.bytes, 500_000);
  }
  t.true(replies[0].written < 500_000, `written ${replies[0].written}`);
  t.true(replies[0].queued > 0);
});

test('a send beyond a full queue is E_BUSY with a hint', async (t) => {
  const h = home();
  const { id, input, busy } = await sendsToNonReader(h);
  t.truthy(busy, 'a send was refused');
  t.is(JSON.parse(busy!.stderr).error.code, 'E_BUSY');
  const human = await h.ccx(['send', id, '--stdin', '--no-enter'], { input });
  t.not(human.code, 0);
  t.regex(human.stderr, /\[E_BUSY\]/);
  t.regex(human.stderr, /^hint: nothing was sent/m);
});

test('a 20 MB --stdin send reaches the program exactly as sent', async (t) => {
  const h = home();
  const out = join(h.dir, 'received');
  const id = await start(h, ['--', 'sh', '-c', `stty raw -echo; echo ready; exec cat > ${out}`]);
  await waitFor(async () => (await h.ccx(['logs', id])).stdout.includes('ready'), 30_000, 'ready');
  const input = text(20 * 1024 * 1024);
  const r = await h.ccx(['send', id, '--stdin', '--no-enter', '--json'], { input, timeoutMs: 300_000 });
  t.is(r.code, 0, r.stderr);
  const reply = parseJson(r);
  t.is(reply.bytes, Buffer.byteLength(input));
  t.is(reply.written + reply.queued, reply.bytes);
  await waitFor(() => {
    try {
      return statSync(out).size >= reply.bytes;
    } catch {
      return false;
    }
  }, 120_000, 'all bytes in the file');
  t.true(readFileSync(out).equals(Buffer.from(input)), 'the bytes arrived in order');
});

test('sends waiting behind a busy session hold at most 8 MiB of text: beyond that E_BUSY at once', async (t) => {
  const h = home();
  await start(h, ['--name', 'py', '--preset', 'python', '--wait-ready', '--timeout', '60', '--', 'python3', '-q']);
  // A turn that does not end: everything else waits behind it.
  h.spawnCcx(['send', 'py', 'import time; time.sleep(600)', '--wait']);
  await waitFor(async () => (await h.ccx(['logs', 'py'])).stdout.includes('time.sleep(600)'), 30_000, 'the turn to begin');
  const socket = connect(join(h.dir, 'run', 'ccxd.sock'));
  socket.on('error', () => {});
  const decoder = new FrameDecoder();
  const replies: any[] = [];
  socket.on('data', (chunk) => replies.push(...decoder.push(chunk)));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, version: effectiveVersion(h.env) }));
  const sends = 40;
  const chunk = 'z'.repeat(400_000);
  for (let id = 1; id <= sends; id++) socket.write(encodeFrame({ t: 'req', id, method: 'session.send', params: { target: 'py', text: chunk, enter: false } }));
  // 16 MB asked for: what fits in 8 MiB waits (no reply yet), the rest is refused.
  const refused = () => replies.filter((r) => r.t === 'res' && r.ok === false);
  await waitFor(() => refused().length >= sends - 21, 60_000, 'refusals');
  t.true(refused().every((r) => r.error.code === 'E_BUSY' && /nothing was sent/.test(r.error.hint)), JSON.stringify(refused()[0]));
  t.is(replies.filter((r) => r.t === 'res' && r.ok === true).length, 0);
  t.true(refused().length <= sends - 20, `${refused().length} refused`);
  socket.destroy();
});
