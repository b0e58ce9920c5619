// 9. Web gateway (`ccx web`). (a) Event delivery to 100 concurrent SSE
// clients of GET /api/events: from the daemon's publish time (the event's
// `time`) to its arrival at each client. (b) Keystroke echo through the
// terminal WebSocket (/api/session/ID/terminal?write=1) next to `ccx attach`,
// the program being `cat`.
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ms } from '../lib/format.mjs';
import { CCX_BIN, ROOT, sleep, waitFor, withTimeout } from '../../packages/testkit/dist/index.js';
import { PtyClient } from '../lib/pty-client.mjs';
import { summarize } from '../lib/stats.mjs';

const WebSocket = createRequire(join(ROOT, 'packages', 'web', 'package.json'))('ws');

export const id = 'web';
export const title = '9. Web gateway: SSE fan-out and WebSocket echo';
export const requires = ['web', 'attach'];
export const plannedTargets = ['100 SSE clients: event delivery p99 < 20 ms', 'WebSocket keystroke echo p99 within 2 ms of attach'];

const count = (name, full, quick, opts) => {
  const fromEnv = Number(process.env[`BENCH_${name}`]);
  return fromEnv > 0 ? fromEnv : opts.quick ? quick : full;
};
const PROBES = 'abcdefghijklmnopqrstuvwxyz';
const KEYSTROKE_GAP_MS = 20;
const EVENT_GAP_MS = 20;

async function startGateway(home) {
  const child = home.spawn(['web', '--port', '0', '--json']);
  const line = await withTimeout(new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d)))), 60_000, 'ccx web to print its URL');
  return { child, ...JSON.parse(line.split('\n')[0]) };
}

/** One SSE client: records when each event (by seq) arrived. */
function sseClient(gw) {
  return new Promise((resolve, reject) => {
    const arrivals = new Map();
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/api/events?since=now', headers: { authorization: `Bearer ${gw.token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE status ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const now = Date.now() + (performance.now() % 1);
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data) {
            const event = JSON.parse(data);
            arrivals.set(event.seq, { at: now, event });
          }
        }
      });
      resolve({ arrivals, close: () => req.destroy() });
    });
    req.on('error', () => undefined);
    req.end();
  });
}

async function sseFanOut(ctx, gw, home, conn) {
  const clients = count('WEB_SSE_CLIENTS', 100, 20, ctx.opts);
  const events = count('WEB_SSE_EVENTS', 50, 15, ctx.opts);
  const session = await home.startSession(conn, ['cat']);
  const streams = await Promise.all(Array.from({ length: clients }, () => sseClient(gw)));
  try {
    // Every client is live once each has seen a warm-up event.
    const warm = await conn.request('session.send', { target: session.id, text: 'warm', enter: true });
    void warm;
    await waitFor(() => streams.every((s) => [...s.arrivals.values()].some((a) => a.event.type === 'input-sent')), 60_000, `${clients} SSE clients to be live`);
    const seqs = [];
    const before = new Set(streams[0].arrivals.keys());
    for (let i = 0; i < events; i++) {
      await conn.request('session.send', { target: session.id, text: `e${i}`, enter: true });
      await sleep(EVENT_GAP_MS);
    }
    await waitFor(() => streams.every((s) => [...s.arrivals.values()].filter((a) => a.event.type === 'input-sent').length >= events + 1), 120_000, 'every client to get every event');
    for (const seq of streams[0].arrivals.keys()) if (!before.has(seq)) seqs.push(seq);
    const samples = [];
    let complete = 0;
    for (const s of streams) {
      let all = true;
      for (const seq of seqs) {
        const a = s.arrivals.get(seq);
        if (!a) {
          all = false;
          continue;
        }
        samples.push(Math.max(0, a.at - Date.parse(a.event.time)));
      }
      if (all) complete++;
    }
    return { clients, events: seqs.length, complete, stats: summarize(samples) };
  } finally {
    for (const s of streams) s.close();
  }
}

/** Keystroke echo through the terminal WebSocket: one character out, until it comes back. */
async function wsEcho(gw, sessionId, probes) {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/api/session/${sessionId}/terminal?write=1&cols=80&rows=24`, { headers: { authorization: `Bearer ${gw.token}` } });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  let listener;
  ws.on('message', (data, isBinary) => isBinary && listener?.(String(data)));
  await sleep(300);
  const samples = [];
  try {
    for (let i = 0; i < probes; i++) {
      if (i > 0 && i % 60 === 0) {
        ws.send(Buffer.from('\r'));
        await sleep(60);
      }
      const char = PROBES[i % PROBES.length];
      samples.push(
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no echo of ${char} through the WebSocket`)), 5_000);
          let text = '';
          listener = (data) => {
            text += data;
            if (text.includes(char)) {
              clearTimeout(timer);
              listener = undefined;
              resolve(performance.now() - t0);
            }
          };
          const t0 = performance.now();
          ws.send(Buffer.from(char));
        }),
      );
      await sleep(KEYSTROKE_GAP_MS);
    }
  } finally {
    ws.close();
  }
  return samples;
}

async function echoComparison(ctx, gw, home, conn) {
  const probes = count('WEB_ECHO_PROBES', 200, 40, ctx.opts);
  const viaWs = await home.startSession(conn, ['cat']);
  const viaAttach = await home.startSession(conn, ['cat']);
  const attach = new PtyClient(ctx.pids, process.execPath, [CCX_BIN, 'attach', viaAttach.id], { env: { ...home.env, TERM: 'xterm-256color' } });
  try {
    await attach.settle();
    const samples = { websocket: [], 'ccx attach': [] };
    // Interleaved in blocks, so load from elsewhere hits each alike.
    for (let done = 0; done < probes; done += 20) {
      const n = Math.min(20, probes - done);
      samples.websocket.push(...(await wsEcho(gw, viaWs.id, n)));
      samples['ccx attach'].push(...(await attach.echoSeries(n)));
    }
    return samples;
  } finally {
    attach.kill();
  }
}

export async function run(ctx) {
  const home = ctx.newHome();
  await home.ensureDaemon();
  const conn = await home.connect();
  const gw = await startGateway(home);
  try {
    const sse = await sseFanOut(ctx, gw, home, conn);
    ctx.log(`   ${sse.clients} SSE clients × ${sse.events} events: p50 ${ms(sse.stats.median)} ms, p99 ${ms(sse.stats.p99)} ms, complete ${sse.complete}/${sse.clients}`);
    const echo = await echoComparison(ctx, gw, home, conn);
    const ws = summarize(echo.websocket);
    const attach = summarize(echo['ccx attach']);
    ctx.log(`   echo p99: WebSocket ${ms(ws.p99)} ms, attach ${ms(attach.p99)} ms`);
    const columns = ['path', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'samples'];
    const row = (name, s) => [name, ms(s.median), ms(s.p90), ms(s.p99), ms(s.max), s.n];
    return {
      description:
        'SSE: N clients of GET /api/events?since=now on one `ccx web`; the bench sends one line to a `cat` session every ~20 ms, and each `input-sent` event is timed from its `time` (the daemon publishing it, ms resolution) to its arrival at each client. Echo: one character sent through the terminal WebSocket until it comes back, next to `ccx attach` in a PTY, both on `cat`, interleaved in blocks of 20.',
      tables: [
        { caption: `Event delivery to ${sse.clients} SSE clients`, columns, rows: [row(`${sse.clients} clients × ${sse.events} events`, sse.stats)] },
        { caption: 'Keystroke echo', columns, rows: [row('terminal WebSocket', ws), row('ccx attach', attach)] },
      ],
      targets: [
        { target: '100 SSE clients: event delivery p99 < 20 ms', measured: `p99 ${ms(sse.stats.p99)} ms (p50 ${ms(sse.stats.median)} ms), ${sse.complete}/${sse.clients} clients got every event`, met: sse.stats.p99 < 20 && sse.complete === sse.clients && sse.clients >= 100 },
        { target: 'WebSocket keystroke echo p99 within 2 ms of attach', measured: `p99 ${ms(ws.p99)} ms vs attach ${ms(attach.p99)} ms`, met: ws.p99 <= attach.p99 + 2 },
      ],
      data: { sse, echo },
    };
  } finally {
    gw.child.kill('SIGTERM');
  }
}
