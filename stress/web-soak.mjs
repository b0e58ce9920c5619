// Drill — the web gateway's memory over a soak: `ccx web` as a child of a
// real daemon, while SSE clients connect in waves (each must get a live event
// before it goes; half leave with a goodbye, half by a reset), terminal
// WebSockets come and go, and one terminal WebSocket streams a program's
// output the whole time. The gateway's RSS after full GCs is sampled after
// each wave; after the warm-up it must stay within `rssTolerancePct` of its
// baseline, and its open fds and the daemon's streams return to theirs.
import { createRequire } from 'node:module';
import { request as httpRequest } from 'node:http';
import { fdCount, isAlive, makeHome, rssBytes, sleep, waitFor } from '../packages/testkit/dist/index.js';
import { forceGc, gcEnv, heapUsedBytes } from './lib/gc.mjs';
import { mib, Report } from './lib/report.mjs';

// `ws` is the gateway's own dependency (Node 20 has no WebSocket client without a flag).
const WebSocket = createRequire(new URL('../packages/web/package.json', import.meta.url))('ws');

// The smoke scale keeps 100 clients a wave so that a leak shows in it too: a leaked SSE
// subscriber (~5 KB a client) made the heap +18 % with 300 clients, +80 % over 1,500 at full scale.
export const WEB_SOAK_DEFAULTS = { waves: 40, sseClients: 100, terminalChurn: 10, warmupWaves: 5, rssTolerancePct: 20, heapTolerancePct: 20, seed: 23 };
export const WEB_SOAK_SMOKE = { waves: 6, sseClients: 100, terminalChurn: 3, warmupWaves: 2, rssTolerancePct: 40, heapTolerancePct: 20, seed: 23 };

/** A program that prints 10 lines every 10 ms for ever (about 100 KiB/s): the streamed terminal's output. */
const STREAMER = ['bash', '--norc', '--noprofile', '-c', 's=$(printf "%0120d" 0); i=0; while :; do i=$((i+1)); printf "soak $i $s %s\\n" 0 1 2 3 4 5 6 7 8 9; sleep 0.01; done'];
const WAVE_TIMEOUT_MS = 60_000;

function startGateway(home, env) {
  const child = home.spawnCcx(['web', '--port', '0', '--json'], { env });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`ccx web printed nothing in 60 s: ${err}`)), 60_000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve({ child, ...JSON.parse(out.slice(0, nl)) });
    });
    child.once('exit', (code) => reject(new Error(`ccx web exited ${code}: ${err}`)));
  });
}

function call(gw, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest({ host: '127.0.0.1', port: gw.port, method, path, headers: { authorization: `Bearer ${gw.token}`, ...(data ? { 'content-type': 'application/json' } : {}) }, timeout: 60_000 }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode < 300 ? resolve(JSON.parse(text || 'null')) : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** An SSE client of one session's events from now; `saw(type)` says whether such an event arrived. */
function sseClient(gw, sessionId) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: gw.port, path: `/api/session/${sessionId}/events?since=now`, headers: { authorization: `Bearer ${gw.token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE ${res.statusCode}`));
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body = (body + c).slice(-64 * 1024)));
      res.on('error', () => undefined);
      resolve({ saw: (needle) => body.includes(needle), close: (reset) => (reset ? req.destroy() : res.destroy()) });
    });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
  });
}

/** A terminal WebSocket; resolves once the screen replay (its first binary message) arrived. */
function terminal(gw, sessionId) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/api/session/${sessionId}/terminal`, { headers: { authorization: `Bearer ${gw.token}` } });
    const socket = { ws, received: 0 };
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      socket.received += data.length;
      if (socket.received === data.length) resolve(socket);
    });
    ws.on('error', reject);
    ws.on('close', () => reject(new Error('terminal socket closed before its replay')));
  });
}

export async function webSoakDrill(options = {}) {
  const opts = { ...WEB_SOAK_DEFAULTS, ...options };
  const report = new Report('web-soak');
  const home = makeHome('ccxws-');
  let gw;
  try {
    const daemonPid = await home.startDaemon();
    const inspector = await gcEnv();
    gw = await startGateway(home, inspector.env);
    const gwPid = gw.child.pid;
    const streamer = await call(gw, 'POST', '/api/sessions', { command: STREAMER, name: 'streamer' });
    const target = await call(gw, 'POST', '/api/sessions', { command: ['cat'], name: 'target' });
    const stream = await terminal(gw, streamer.id);
    const retained = async () => ({ collected: await forceGc(gwPid, inspector.port), rss: mib(rssBytes(gwPid)), heap: mib(await heapUsedBytes(gwPid, inspector.port)), fds: fdCount(gwPid) });
    const tallies = { sseClients: 0, sseLive: 0, terminals: 0, errors: [] };

    let marker = 0;
    const wave = async () => {
      const clients = await Promise.all(Array.from({ length: opts.sseClients }, () => sseClient(gw, target.id)));
      const terms = await Promise.all(Array.from({ length: opts.terminalChurn }, () => terminal(gw, streamer.id)));
      tallies.sseClients += clients.length;
      tallies.terminals += terms.length;
      // An event every client must get before it leaves: it was live, not just connected.
      const text = `wave-${++marker}`;
      await call(gw, 'POST', `/api/session/${target.id}/prompt`, { text });
      const live = await waitFor(() => clients.every((c) => c.saw('"input-sent"')), WAVE_TIMEOUT_MS, 'every SSE client to get the event').then(() => true, () => false);
      tallies.sseLive += clients.filter((c) => c.saw('"input-sent"')).length;
      if (!live) tallies.errors.push(`wave ${marker}: ${clients.filter((c) => !c.saw('"input-sent"')).length} SSE clients got no event`);
      clients.forEach((c, i) => c.close(i % 2 === 1));
      terms.forEach((s, i) => (i % 2 ? s.ws.terminate() : s.ws.close()));
    };
    /** The gateway's streams to the daemon, once the clients that left are gone: the hub, the streamed terminal. */
    const settle = () =>
      waitFor(async () => {
        const s = await home.status();
        return s.resources?.streams <= 2 ? s : undefined;
      }, 20_000, 'the gateway streams of departed clients to end').catch(() => home.status());

    for (let w = 0; w < opts.warmupWaves; w++) await wave();
    await settle();
    const base = await retained();
    report.check('full GCs could be run in the gateway', base.collected);
    const baseStreams = (await home.status()).resources?.streams;
    report.figure('baseline', { rssMiB: base.rss, heapMiB: base.heap, fds: base.fds, daemonStreams: baseStreams });
    const streamedAtBase = stream.received;
    const curve = [];
    let peak = base.rss;
    for (let w = 0; w < opts.waves; w++) {
      await wave();
      const m = await retained();
      peak = Math.max(peak, m.rss);
      if ((w + 1) % Math.max(1, Math.floor(opts.waves / 8)) === 0) curve.push(`${m.rss}/${m.heap}`);
    }
    await settle();
    const end = await retained();
    const streamed = stream.received - streamedAtBase;
    report.figure('sseClientsCycled', tallies.sseClients);
    report.figure('terminalSocketsCycled', tallies.terminals);
    report.figure('streamedTerminalMiB', mib(streamed));
    report.figure('afterGcRssHeapMiB', curve.join(' '));
    report.figure('after', { rssMiB: end.rss, heapMiB: end.heap, peakRssMiB: peak, fds: end.fds, daemonStreams: (await home.status()).resources?.streams });
    report.check('every SSE client got the live event of its wave', tallies.errors.length === 0, tallies.errors.slice(0, 3));
    report.check('the long-lived terminal socket streamed output all through', streamed > 0 && stream.ws.readyState === WebSocket.OPEN, { streamed, state: stream.ws.readyState });
    const growth = report.figure('rssGrowthPct', Math.round(((end.rss - base.rss) / base.rss) * 100));
    report.check(`gateway RSS after GC within ${opts.rssTolerancePct} % of the post-warm-up baseline`, end.rss <= base.rss * (1 + opts.rssTolerancePct / 100), { baseline: base.rss, after: end.rss, growth });
    report.check(`gateway JS heap after GC within ${opts.heapTolerancePct} % of the post-warm-up baseline`, end.heap !== undefined && end.heap <= base.heap * (1 + opts.heapTolerancePct / 100), { baseline: base.heap, after: end.heap });
    const fdsAfter = await waitFor(() => (fdCount(gwPid) <= base.fds ? fdCount(gwPid) : undefined), 10_000, 'gateway fds').catch(() => fdCount(gwPid));
    report.check(`gateway open fds back to baseline (${base.fds})`, fdsAfter <= base.fds, { baseline: base.fds, after: fdsAfter });
    const streamsAfter = (await home.status()).resources?.streams;
    report.check(`daemon streams back to baseline (${baseStreams})`, streamsAfter <= baseStreams, { baseline: baseStreams, after: streamsAfter });
    report.check('the gateway and the daemon are still running', isAlive(gwPid) && gw.child.exitCode === null && isAlive(daemonPid));
    stream.ws.close();
  } catch (error) {
    report.check('drill ran to the end', false, String(error?.stack ?? error));
  } finally {
    const child = gw?.child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
    }
    await home.cleanup();
  }
  return report.finish();
}
