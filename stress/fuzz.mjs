// Drill 1 — protocol fuzz: hostile input straight at the daemon socket.
//
// Sentinel sessions are started first through the real CLI; then thousands of
// hostile inputs arrive on fresh and long-lived connections. Afterwards the
// daemon must be the same process, answer `ccx list` correctly, have every
// sentinel intact (same pid, metadata, output), be back to its baseline of
// connections, streams and subscribers, and have RSS near where it started.
import { MethodParams } from '../packages/shared/dist/schemas.js';
import { Client, crashLines, encodeFrame, FrameDecoder, helloFrame, isAlive, makeHome, metaOnDisk, openSocket, outputLogBytes, PROTOCOL_VERSION, rssBytes, sleep, waitFor } from '../packages/testkit/dist/index.js';
import { forceGc, gcEnv } from './lib/gc.mjs';
import { mib, MiB, pool, Report, rng } from './lib/report.mjs';

export const FUZZ_DEFAULTS = { inputs: 10_000, floodConnections: 800, overLimitFlood: true, drips: 24, unreadConnections: 4, unreadRequests: 50_000, rssTolerancePct: 20, primeEach: 8, warmupInputs: 5_000, seed: 8, concurrency: 24 };
export const FUZZ_SMOKE = { inputs: 800, floodConnections: 100, overLimitFlood: false, drips: 4, unreadConnections: 1, unreadRequests: 20_000, rssTolerancePct: 30, primeEach: 2, warmupInputs: 200, seed: 8, concurrency: 12 };

const MAX_FRAME_BYTES = 1024 * 1024;
/** Id of the request a pooled connection uses to know the daemon has read everything before it. */
const SYNC_ID = 4_242_424_242;

/** Wrong values for each kind of field; strings also get hostile-but-well-typed values. */
const WRONG = {
  string: [null, 0, -1, 1.5, true, [], {}, ['a'], { a: 1 }],
  number: [null, '1', true, [], {}, 1.5, -1, 1e308, -1e308, 2 ** 53 + 2, 'NaN'],
  boolean: [null, 0, 1, 'true', [], {}],
  array: [null, 'a', 1, {}, [null], [1, 2, 3], [[[]]]],
  record: [null, 'a', 1, [], [['a', 'b']]],
  object: [null, 'a', 1, [], true],
  enum: [null, 1, 'no-such-value', '__proto__', ''],
  literal: [null, 1, 'other'],
};
const HOSTILE_STRINGS = [
  '',
  '\0',
  '../../../../etc/passwd',
  'a/b',
  '..\\..\\windows',
  '/',
  '.',
  '..',
  'line\nbreak',
  '\r\n\r\n',
  '\x1b[2J\x1b]0;pwned\x07',
  '\u202e\u200b',
  '\ud800',
  '💥'.repeat(40),
  'A'.repeat(300),
  '%2e%2e%2f',
  '-rf',
  '$(touch /tmp/ccx-fuzz-pwned)',
  '`id`',
  '__proto__',
  'constructor',
  'X-no-such-session',
];
const UNKNOWN_METHODS = ['', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'session.', 'session.start ', 'SESSION.LIST', 'daemon', 'daemon.stop.now', 'session/../daemon.stop', '\0', 'a'.repeat(64), 'hooks.add\n', 'x'.repeat(65), '💥'];

function kindOf(schema) {
  let def = schema?._zod?.def;
  while (def && (def.type === 'optional' || def.type === 'nullable' || def.type === 'default')) def = def.innerType?._zod?.def;
  return def?.type ?? 'unknown';
}

function shapeOf(method) {
  const schema = MethodParams[method];
  return schema?.shape ?? schema?._zod?.def?.shape ?? {};
}

/**
 * A valid, harmless value for each field: targets that name nothing, a
 * program that exits at once, webhooks pointed at a closed loopback port.
 */
function safeTemplate(method, ctx) {
  const known = {
    'session.start': { command: ['true'], cwd: '/', env: { FUZZ: '1' }, cols: 80, rows: 24, reuse: false },
    'session.send': { target: ctx.victim, text: 'fuzz', enter: false, keys: [] },
    'session.attach': { target: ctx.victim, readOnly: true, cols: 80, rows: 24 },
    'session.logs': { target: ctx.victim, since: 0, tail: 1, follow: false },
    'session.screen': { target: ctx.victim, ansi: false, scrollback: 0 },
    'session.wait': { target: 'X-no-such', timeoutMs: 50 },
    'session.rm': { targets: ['X-no-such'], force: false },
    'events.stream': { since: 0, follow: false },
    'hooks.add': { url: 'http://127.0.0.1:9/fuzz', level: 'events' },
  };
  if (known[method]) return { ...known[method] };
  const out = {};
  for (const [field, schema] of Object.entries(shapeOf(method))) {
    const kind = kindOf(schema);
    out[field] = kind === 'string' ? 'X-no-such' : kind === 'number' ? 1 : kind === 'boolean' ? false : kind === 'array' ? [] : kind === 'record' || kind === 'object' ? {} : undefined;
    if (out[field] === undefined) delete out[field];
  }
  return out;
}

/** Nothing the fuzzer sends may legitimately stop the daemon or touch a sentinel. */
function harmful(method, params, ctx) {
  if (method === 'daemon.stop') return !(params && typeof params === 'object' && !Array.isArray(params) && Object.keys(params).length > 0);
  const readOnly = ['session.get', 'session.screen', 'session.logs', 'session.list', 'events.stream', 'daemon.status'];
  if (readOnly.includes(method)) return false;
  const text = JSON.stringify(params ?? null);
  return ctx.sentinelKeys.some((k) => text.includes(`"${k}"`));
}

/** Generates one hostile input; returns what to write and what kind of connection it needs. */
function generator(r, ctx) {
  const methods = Object.keys(MethodParams);
  const fields = methods.flatMap((m) => Object.keys(shapeOf(m)).map((f) => [m, f]));
  let fieldCursor = 0;
  const rawFrame = (body) => {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const h = Buffer.alloc(4);
    h.writeUInt32BE(b.length);
    return Buffer.concat([h, b]);
  };
  // Our own encoder: the shared one refuses frames over the limit, and the fuzzer must send them.
  const frameOf = (obj) => rawFrame(JSON.stringify(obj));
  const reqId = () => r.int(1, 1_000_000);
  const req = (method, params) => frameOf({ t: 'req', id: reqId(), method, params });

  // Each returns { kind, bytes, fresh: true if it needs (and likely ends) its own connection }.
  const cases = {
    randomBytes: () => ({ fresh: true, bytes: r.bytes(r.int(1, 4096)) }),
    oversizedHeader: () => {
      const h = Buffer.alloc(4 + r.int(0, 64));
      h.writeUInt32BE(r.int(MAX_FRAME_BYTES + 1, 0xffffffff));
      return { fresh: true, bytes: h };
    },
    truncatedFrame: () => {
      const full = req('session.list', {});
      return { fresh: true, bytes: full.subarray(0, r.int(1, full.length - 1)), truncated: true };
    },
    invalidJson: () => {
      const bodies = ['{not json', '{"t":"hello"', '\ufeff{}', 'NaN', '{"t":"req","id":1,,}', Buffer.from([0xff, 0xfe, 0x00, 0x7b]), r.bytes(r.int(1, 200)), '', ' '];
      return { fresh: true, bytes: Buffer.concat([helloFrame(), rawFrame(r.pick(bodies))]) };
    },
    beforeHello: () => ({ fresh: true, bytes: r.pick([req('session.list', {}), req('daemon.stop', {}), frameOf({ t: 'input', id: 1, data: 'aGk=' }), frameOf({ t: 'close', id: 1 })]) }),
    badHello: () => ({
      fresh: true,
      bytes: r.pick([
        frameOf({ t: 'hello', protocol: PROTOCOL_VERSION + 1, version: '0.1.0' }),
        frameOf({ t: 'hello', protocol: PROTOCOL_VERSION, version: '9.9.9' }),
        frameOf({ t: 'hello', protocol: PROTOCOL_VERSION, version: 'v'.repeat(65) }),
        frameOf({ t: 'hello', protocol: '1', version: '0.1.0' }),
        frameOf({ t: 'hello' }),
      ]),
    }),
    deepNesting: () => ({ fresh: false, bytes: rawFrame('['.repeat(400_000) + ']'.repeat(400_000)) }),
    maxSizeFrame: () => {
      // Exactly at and one past the frame limit.
      const over = r.chance(0.5);
      const prefix = '{"t":"req","id":1,"method":"';
      const suffix = '","params":{}}';
      const body = prefix + 'm'.repeat(MAX_FRAME_BYTES - prefix.length - suffix.length + (over ? 1 : 0)) + suffix;
      return { fresh: over, bytes: rawFrame(body) };
    },
    wrongShape: () => {
      const shapes = [null, 1, 'req', [], [1, 2], {}, { t: 5 }, { t: 'req' }, { t: 'req', id: -1, method: 'session.list' }, { t: 'req', id: 1.5, method: 'session.list' }, { t: 'req', id: '1', method: 'session.list' }, { t: 'req', id: 2 ** 60, method: 'session.list' }, { t: 'res', id: 1, ok: true }, { t: 'welcome' }, { t: 'input', id: 1, data: 5 }, { t: 'resize', id: 1, cols: 0, rows: 1e9 }, { t: 'close' }, { t: '__proto__' }];
      return { fresh: false, bytes: frameOf(r.pick(shapes)) };
    },
    protoKeys: () => ({ fresh: false, bytes: rawFrame(r.pick(['{"t":"req","id":1,"method":"session.start","params":{"__proto__":{"command":["true"]}}}', '{"__proto__":{"t":"req"},"t":"req","id":2,"method":"session.list","params":{}}', '{"t":"req","id":3,"method":"session.send","params":{"constructor":{"prototype":{"x":1}},"target":"X"}}'])) }),
    unknownMethod: () => ({ fresh: false, bytes: req(r.pick(UNKNOWN_METHODS), r.pick([{}, null, [], 'x'])) }),
    wrongField: () => {
      // Walks every field of every method in turn, so each gets wrong values.
      const [method, field] = fields[fieldCursor++ % fields.length];
      const kind = kindOf(shapeOf(method)[field]);
      const params = safeTemplate(method, ctx);
      const pool = [...(WRONG[kind] ?? WRONG.string), ...(kind === 'string' ? HOSTILE_STRINGS : [])];
      params[field] = r.pick(pool);
      if (harmful(method, params, ctx)) params.__fuzz = 1;
      return { fresh: false, bytes: req(method, params), method };
    },
    badParams: () => {
      const method = r.pick(methods);
      let params = r.pick([null, [], 'x', 7, { ...safeTemplate(method, ctx), unknownField: 1 }]);
      if (harmful(method, params, ctx)) params = { unknownField: 1 };
      return { fresh: false, bytes: req(method, params), method };
    },
    hugeString: () => {
      const method = r.pick(['session.send', 'session.start', 'session.get', 'hooks.add', 'session.rm']);
      const size = r.pick([64 * 1024 + 1, 512 * 1024 + 1, 900 * 1024]);
      const big = r.pick(['x', '\u0001', 'é', '/']).repeat(size);
      const params = method === 'session.send' ? { target: ctx.victim, text: big } : method === 'session.start' ? { command: ['true', big], name: big } : method === 'session.rm' ? { targets: [big] } : method === 'hooks.add' ? { url: 'http://127.0.0.1:9/' + big } : { target: big };
      const frame = frameOf({ t: 'req', id: reqId(), method, params });
      return { fresh: frame.length - 4 > MAX_FRAME_BYTES, bytes: frame, method };
    },
    hostileNames: () => {
      const name = r.pick(HOSTILE_STRINGS.concat(['a'.repeat(65), 'ok\0name', 'tab\tname', 'dot..', 'fz-cat', '.hidden']));
      return { fresh: false, bytes: req('session.start', { command: ['true'], name }), method: 'session.start' };
    },
    otherSessions: () => {
      // Ids and names of sessions this connection did not make: readable, never changed by invalid requests.
      const target = r.pick(ctx.sentinelKeys.concat([ctx.victim, 'zzzzzzzz', 'aaaaaaaa', ...ctx.removedIds]));
      const m = r.pick([
        ['session.get', { target }],
        ['session.screen', { target }],
        ['session.logs', { target, tail: 2 }],
        ['session.cancel', { target, graceMs: 'soon' }],
        ['session.send', { target, text: 5 }],
        ['session.rm', { targets: [target], force: 'yes' }],
        ['session.attach', { target, cols: 0 }],
      ]);
      return { fresh: false, bytes: req(m[0], m[1]), method: m[0] };
    },
    strayStreamControl: () => ({ fresh: false, bytes: frameOf(r.pick([{ t: 'input', id: r.int(0, 1e6), data: 'aGVsbG8=' }, { t: 'resize', id: r.int(0, 1e6), cols: 80, rows: 24 }, { t: 'close', id: r.int(0, 1e6) }])) }),
    validHostileSend: () => ({ fresh: false, bytes: req('session.send', { target: ctx.victim, text: r.pick(HOSTILE_STRINGS.slice(0, 16)), enter: false }), method: 'session.send' }),
    openStream: () => {
      const m = r.pick([
        ['session.logs', { target: ctx.victim, follow: true }],
        ['events.stream', { follow: true }],
        ['events.stream', { follow: true, since: 2 ** 40 }],
        ['events.stream', { types: ['no-such'], follow: true }],
        ['session.attach', { target: ctx.victim, readOnly: true, cols: 80, rows: 24 }],
      ]);
      return { fresh: false, bytes: req(m[0], m[1]), method: m[0] };
    },
    secondHello: () => ({ fresh: false, bytes: helloFrame() }),
  };
  const weights = { randomBytes: 8, oversizedHeader: 4, truncatedFrame: 4, invalidJson: 5, beforeHello: 4, badHello: 3, deepNesting: 0.05, maxSizeFrame: 0.3, wrongShape: 10, protoKeys: 2, unknownMethod: 6, wrongField: 30, badParams: 6, hugeString: 0.6, hostileNames: 5, otherSessions: 8, strayStreamControl: 4, validHostileSend: 1, openStream: 1, secondHello: 1 };
  for (const name of ctx.exclude ?? []) delete weights[name];
  const table = Object.entries(weights);
  const total = table.reduce((s, [, w]) => s + w, 0);
  const next = () => {
    let x = r.next() * total;
    for (const [name, w] of table) {
      x -= w;
      if (x <= 0) return { name, ...cases[name]() };
    }
    return { name: 'wrongField', ...cases.wrongField() };
  };
  /** `count` inputs of every kind, so a warm-up meets the rare, heavy ones too. */
  next.everyKind = (count) => table.flatMap(([name]) => Array.from({ length: count }, () => ({ name, ...cases[name]() })));
  return next;
}

/** Tallies what the daemon sent back. */
function tally(stats, message) {
  if (message.t === 'res' && message.ok === false) {
    stats.errorReplies++;
    stats.byCode[message.error?.code] = (stats.byCode[message.error?.code] ?? 0) + 1;
  } else if (message.t === 'res') stats.okReplies++;
  else if (message.t === 'fatal') {
    stats.fatalReplies++;
    stats.byCode[message.error?.code] = (stats.byCode[message.error?.code] ?? 0) + 1;
  } else if (message.t === 'end' && message.error) {
    stats.errorReplies++;
    stats.byCode[message.error?.code] = (stats.byCode[message.error?.code] ?? 0) + 1;
  }
}

/** A connection that sends one hostile input and sees whether the daemon hangs up. */
async function freshCase(socketPath, input, stats) {
  let socket;
  try {
    socket = await openSocket(socketPath, 10_000);
  } catch (error) {
    stats.connectFailures++;
    return;
  }
  const decoder = new FrameDecoder(64 * MiB);
  let closedByUs = false;
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    try {
      for (const m of decoder.push(chunk)) tally(stats, m);
    } catch {}
  });
  socket.write(input.bytes);
  if (input.truncated) socket.end();
  const hungUp = await Promise.race([closed.then(() => true), sleep(input.truncated ? 300 : 1_500).then(() => false)]);
  if (hungUp && !closedByUs) stats.closedByDaemon++;
  if (!hungUp) {
    closedByUs = true;
    socket.destroy();
    await closed;
  }
}

/** A greeted connection that takes many hostile inputs in a row. */
class PooledConnection {
  static async open(socketPath, stats) {
    const socket = await openSocket(socketPath, 10_000);
    const conn = new PooledConnection(socket, stats);
    socket.write(helloFrame());
    return conn;
  }

  constructor(socket, stats) {
    this.socket = socket;
    this.stats = stats;
    this.decoder = new FrameDecoder(64 * MiB);
    this.isClosed = false;
    this.closedByUs = false;
    this.syncWaiters = [];
    socket.on('error', () => {});
    socket.on('close', () => {
      this.isClosed = true;
      if (!this.closedByUs) stats.closedByDaemon++;
      for (const w of this.syncWaiters.splice(0)) w(false);
    });
    socket.on('data', (chunk) => {
      let messages;
      try {
        messages = this.decoder.push(chunk);
      } catch {
        return;
      }
      for (const m of messages) {
        if (m.t === 'res' && m.id === SYNC_ID) {
          this.syncWaiters.shift()?.(true);
          continue;
        }
        tally(stats, m);
      }
    });
  }

  write(bytes) {
    if (!this.isClosed) this.socket.write(bytes);
  }

  /** Resolves once the daemon answered a request sent after everything before it. */
  sync(timeoutMs = 30_000) {
    if (this.isClosed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.syncWaiters.push((v) => {
        clearTimeout(timer);
        resolve(v);
      });
      this.socket.write(encodeFrame({ t: 'req', id: SYNC_ID, method: 'daemon.status', params: {} }));
    });
  }

  destroy() {
    this.closedByUs = true;
    this.socket.destroy();
  }
}

/** Opens `count` connections that never speak; they stay open until the daemon hangs up or `release()`. */
async function openSilent(socketPath, count) {
  const sockets = [];
  const refused = {};
  let closedByDaemon = 0;
  await pool(Array.from({ length: count }), 64, async () => {
    try {
      const s = await openSocket(socketPath, 10_000);
      s.on('error', () => {});
      s.on('close', () => {
        if (!s.releasedByUs) closedByDaemon++;
      });
      // Read (and drop) what the daemon sends, so its hang-up is seen.
      s.resume();
      sockets.push(s);
    } catch (error) {
      refused[error.code ?? 'other'] = (refused[error.code ?? 'other'] ?? 0) + 1;
    }
  });
  return {
    opened: sockets.length,
    refused,
    get closedByDaemon() {
      return closedByDaemon;
    },
    release() {
      for (const s of sockets) {
        if (s.destroyed) continue;
        s.releasedByUs = true;
        s.destroy();
      }
    },
  };
}

/** Pipelines requests on connections that never read the replies: the daemon must stop reading, not buffer. */
async function unreadReplies(socketPath, connections, requestsEach) {
  const req = encodeFrame({ t: 'req', id: 1, method: 'session.list', params: { all: true } });
  const batch = Buffer.concat(Array.from({ length: 500 }, () => req));
  const sockets = [];
  for (let c = 0; c < connections; c++) {
    const s = await openSocket(socketPath, 10_000);
    s.on('error', () => {});
    s.pause();
    s.write(helloFrame());
    for (let i = 0; i < requestsEach / 500; i++) s.write(batch);
    sockets.push(s);
  }
  await sleep(3_000);
  return { sent: connections * requestsEach, release: () => sockets.forEach((s) => s.destroy()) };
}

/** Sends a valid request one small write at a time, with pauses, and waits for its reply. */
async function dripCase(socketPath, stats, r) {
  const body = Buffer.from(JSON.stringify({ t: 'req', id: 7, method: 'session.get', params: { target: 'X' + 'y'.repeat(r.int(10_000, 60_000)) } }));
  const frame = Buffer.concat([helloFrame(), Buffer.alloc(4), body]);
  frame.writeUInt32BE(body.length, helloFrame().length);
  const socket = await openSocket(socketPath, 10_000);
  socket.on('error', () => {});
  const decoder = new FrameDecoder(64 * MiB);
  const replied = new Promise((resolve) => {
    socket.on('data', (chunk) => {
      for (const m of decoder.push(chunk)) {
        if (m.t === 'res') {
          tally(stats, m);
          resolve(true);
        }
      }
    });
    socket.on('close', () => resolve(false));
  });
  const step = r.int(16, 256);
  for (let at = 0; at < frame.length; at += step) {
    socket.write(frame.subarray(at, at + step));
    if ((at / step) % 20 === 0) await sleep(1);
  }
  const ok = await Promise.race([replied, sleep(10_000).then(() => false)]);
  socket.destroy();
  return ok;
}

function sentinelSnapshot(home, s) {
  const meta = metaOnDisk(home, s.id);
  const { lastActivityAt, ...stable } = meta ?? {};
  return { id: s.id, pid: s.pid, name: s.name, stableMeta: JSON.stringify(stable), output: outputLogBytes(home, s.id) };
}

export async function fuzzDrill(options = {}) {
  const opts = { ...FUZZ_DEFAULTS, ...options };
  const report = new Report('fuzz');
  const home = makeHome('ccxf-');
  const r = rng(opts.seed);
  const stats = { errorReplies: 0, okReplies: 0, fatalReplies: 0, closedByDaemon: 0, connectFailures: 0, byCode: {} };
  try {
    const inspector = await gcEnv();
    Object.assign(home.env, inspector.env, opts.daemonEnv ?? {});
    const daemonPid = await home.startDaemon();
    /** RSS and JS heap after full GCs: what the daemon retains, not what V8 has yet to collect. */
    const retained = async () => {
      const collected = await forceGc(daemonPid, inspector.port);
      const st = await home.status();
      return { collected, rss: mib(rssBytes(daemonPid)), heap: mib(st.resources?.heapUsedBytes), status: st };
    };
    const start = async (args) => JSON.parse((await home.ccx(['start', '--json', ...args])).stdout);
    const sentinels = [await start(['--name', 'fz-cat', '--', 'cat']), await start(['--name', 'fz-sh', '--', 'bash', '--norc', '--noprofile']), await start(['--', 'sleep', '600'])];
    const victim = await start(['--name', 'fz-victim', '--', 'cat']);
    await home.ccx(['send', 'fz-cat', 'sentinel-line']);
    await sleep(300);
    const before = sentinels.map((s) => sentinelSnapshot(home, s));
    const ctx = { exclude: opts.exclude, victim: victim.id, sentinelKeys: sentinels.flatMap((s) => [s.id, s.name].filter(Boolean)), removedIds: [] };
    // An id that existed once: requests naming it must get E_NOT_FOUND, never another session.
    const gone = await start(['--', 'true']);
    await sleep(200);
    await home.ccx(['rm', '--force', gone.id]);
    ctx.removedIds.push(gone.id);

    const rssStart = report.figure('rssStartMiB', mib(rssBytes(daemonPid)));
    const statusStart = await home.status();
    // Silent connections first: they must not keep the CLI out, and the daemon must hang up on them.
    const silent = await openSilent(home.socketPath, opts.floodConnections);
    report.figure('silentConnections', silent.opened);
    const duringFlood = await home.ccx(['list', '--json'], { timeoutMs: 30_000 });
    report.check(`ccx list works while ${silent.opened} silent connections are open`, duringFlood.code === 0, duringFlood.stderr);

    const next = generator(r, ctx);
    let sent = 0;
    const byCase = {};
    const pooled = [];
    const poolSize = 6;
    const runBatch = async (count, given) => {
      for (let i = pooled.length; i < poolSize; i++) pooled.push(await PooledConnection.open(home.socketPath, stats));
      const inputs = given ?? Array.from({ length: count }, () => next());
      count = inputs.length;
      const fresh = inputs.filter((x) => x.fresh);
      const onPool = inputs.filter((x) => !x.fresh);
      for (const x of inputs) byCase[x.name] = (byCase[x.name] ?? 0) + 1;
      onPool.forEach((x, i) => pooled[i % pooled.length].write(x.bytes));
      await pool(fresh, opts.concurrency, (x) => freshCase(home.socketPath, x, stats));
      await Promise.all(pooled.map((c) => c.sync()));
      sent += count;
      // Rotate some pooled connections, vanishing without a goodbye (their open streams must be cleaned up).
      for (let i = pooled.length - 1; i >= 0; i--) {
        if (pooled[i].isClosed || r.chance(0.3)) {
          pooled[i].destroy();
          pooled.splice(i, 1);
        }
      }
    };

    // Warm-up: the allocator grows to a working size over the first few
    // thousand inputs (1 MiB frames on many connections at once) and then
    // stays flat — 40,000 inputs moved it by 3 % — so the baseline is taken
    // after it, and after full GCs.
    await runBatch(0, next.everyKind(opts.primeEach));
    while (sent < opts.warmupInputs) await runBatch(250);
    const warmup = report.figure('warmupInputs', sent);
    for (const c of pooled.splice(0)) c.destroy();
    await sleep(500);
    const base = await retained();
    report.check('full GCs could be run in the daemon (inspector reachable)', base.collected);
    const rssBaseline = report.figure('rssBaselineMiB', base.rss);
    const heapBaseline = report.figure('heapBaselineMiB', base.heap);
    report.figure('subscribersBaseline', statusStart.events.subscribers);
    const batch = 250;
    const startedAt = performance.now();
    const curve = [];
    while (sent < warmup + opts.inputs) {
      await runBatch(Math.min(batch, warmup + opts.inputs - sent));
      if (opts.gcEvery && sent % opts.gcEvery < batch) {
        const m = await retained();
        curve.push([sent, m.rss, m.heap]);
      } else if (sent % 2_000 < batch) curve.push([sent, mib(rssBytes(daemonPid)), mib((await home.status()).resources?.heapUsedBytes)]);
    }
    report.figure('rssHeapCurveMiB', curve.map(([n, rss, heap]) => `${n}:${rss}/${heap}`).join(' '));
    report.figure('inputsPerSecond', Math.round((sent - warmup) / ((performance.now() - startedAt) / 1000)));
    for (const c of pooled.splice(0)) c.destroy();
    const phases = [`warmup:${rssBaseline}`];
    const phase = async (name) => phases.push(`${name}:${(await retained()).rss}`);
    await phase('inputs');

    // Slow drips: valid requests a few bytes at a time must still be answered.
    const drips = await pool(Array.from({ length: opts.drips }), 8, () => dripCase(home.socketPath, stats, r));
    sent += drips.length;
    report.check(`${drips.length} requests dripped in small writes were all answered`, drips.every(Boolean), drips.filter((x) => !x).length);

    // Clients that pipeline requests and never read: the daemon stops reading from them.
    const rssBeforeUnread = rssBytes(daemonPid);
    const unread = await unreadReplies(home.socketPath, opts.unreadConnections, opts.unreadRequests);
    report.figure('unreadRequests', unread.sent);
    const unreadGrowth = report.figure('rssGrowthUnreadMiB', mib(rssBytes(daemonPid) - rssBeforeUnread));
    report.check('requests whose replies are never read do not pile up in the daemon (≤ 32 MiB)', unreadGrowth <= 32, unreadGrowth);
    unread.release();
    await phase('drips+unread');
    report.figure('inputsSent', sent);
    report.figure('inputsAfterWarmup', sent - warmup);

    // The silent connections of the start: hung up on by the daemon once their hello was overdue.
    await waitFor(() => silent.closedByDaemon === silent.opened, 15_000, 'silent connections to be closed').catch(() => {});
    report.figure('silentClosedByDaemon', silent.closedByDaemon);
    report.check('the daemon hung up on every connection that never said hello', silent.closedByDaemon === silent.opened, { opened: silent.opened, closed: silent.closedByDaemon });
    stats.closedByDaemon += silent.closedByDaemon;
    silent.release();
    await phase('silent');
    if (opts.overLimitFlood) {
      // More silent connections than the daemon accepts: clients are locked out until the hello deadline frees the slots.
      const over = await openSilent(home.socketPath, 1_100);
      const locked = await home.ccx(['list', '--json'], { timeoutMs: 30_000 });
      const t0 = Date.now();
      const back = await waitFor(async () => (await home.ccx(['list', '--json'], { timeoutMs: 30_000 })).code === 0, 30_000, 'the CLI to get in again', 500).catch(() => false);
      report.figure('overLimitFlood', { opened: over.opened, cliExitWhileFull: locked.code, cliBackAfterS: Math.round((Date.now() - t0) / 100) / 10 });
      report.check('after a flood over the connection limit, the CLI gets in again within 15 s', back && Date.now() - t0 < 15_000);
      stats.closedByDaemon += over.closedByDaemon;
      over.release();
      await phase('overLimit');
    }
    report.figure('rssAfterGcByPhaseMiB', phases.join(' '));

    report.figure('errorReplies', stats.errorReplies);
    report.figure('fatalReplies', stats.fatalReplies);
    report.figure('okReplies', stats.okReplies);
    report.figure('closedByDaemon', stats.closedByDaemon);
    report.figure('connectFailures', stats.connectFailures);
    report.figure('errorCodes', stats.byCode);
    report.figure('cases', byCase);

    await sleep(2_000);
    const crashes = (isAlive(daemonPid) ? 0 : 1) + (home.daemonPid() === daemonPid ? 0 : 1) + crashLines(home).length;
    report.figure('crashes', crashes);
    report.check('no crash: the same daemon process is alive and logged no uncaught error', crashes === 0, crashLines(home).slice(0, 3));
    report.check('no internal errors', (stats.byCode.E_INTERNAL ?? 0) === 0, stats.byCode.E_INTERNAL);

    const list = await home.ccx(['list', '--json']);
    const running = list.code === 0 ? JSON.parse(list.stdout) : [];
    const expected = [...sentinels.map((s) => s.id), victim.id].sort();
    const runningIds = running.map((s) => s.id).filter((id) => expected.includes(id)).sort();
    report.check('`ccx list` answers and lists every sentinel as running', list.code === 0 && JSON.stringify(runningIds) === JSON.stringify(expected), { code: list.code, stderr: list.stderr, runningIds });
    report.figure('sessionsCreatedByFuzz', running.length - expected.length + JSON.parse((await home.ccx(['list', '--all', '--json'])).stdout).filter((s) => s.status !== 'running').length - 1);
    const after = sentinels.map((s) => sentinelSnapshot(home, s));
    for (let i = 0; i < sentinels.length; i++) {
      const b = before[i];
      const a = after[i];
      const listed = running.find((s) => s.id === b.id);
      report.check(`sentinel ${b.name ?? b.id} intact (pid, metadata, output)`, listed?.pid === b.pid && isAlive(b.pid) && a.stableMeta === b.stableMeta && a.output.equals(b.output), {
        pid: [b.pid, listed?.pid],
        meta: a.stableMeta === b.stableMeta,
        output: [b.output.length, a.output.length],
      });
    }
    const victimEnd = JSON.parse((await home.ccx(['list', '--all', '--json'])).stdout).find((s) => s.id === victim.id);
    report.figure('victim', `${victimEnd?.status} exit=${victimEnd?.exitCode} signal=${victimEnd?.signal}`);
    const echo = await home.ccx(['send', 'fz-sh', 'echo ALIVE-$((6*7))']);
    const alive = await waitFor(() => outputLogBytes(home, sentinels[1].id).includes('ALIVE-42'), 10_000, 'sentinel shell answer').catch(() => false);
    report.check('a sentinel shell still runs commands', echo.code === 0 && alive);
    const dirs = home.sessionDirs();
    report.check('no session directory with a hostile name was made', dirs.every((d) => /^[a-z2-7]{8}$/.test(d)), dirs.filter((d) => !/^[a-z2-7]{8}$/.test(d)));

    // Resources back to baseline: every fuzz connection, stream and subscription gone.
    const status = await waitFor(
      async () => {
        const s = await home.status();
        return s.clients <= 1 && (s.resources?.streams ?? 0) === 0 ? s : undefined;
      },
      10_000,
      'fuzz connections to close',
    ).catch(() => home.status());
    report.figure('clientsAfter', status.clients);
    report.figure('streamsAfter', status.resources?.streams);
    report.figure('subscribersAfter', status.events.subscribers);
    report.figure('fdsAfter', status.resources?.fds);
    report.check('every fuzz connection, stream and subscription is gone', status.clients <= 1 && (status.resources?.streams ?? 0) === 0 && status.events.subscribers === statusStart.events.subscribers, { clients: status.clients, streams: status.resources?.streams, subscribers: status.events.subscribers });

    const end = await retained();
    const rssAfter = report.figure('rssAfterMiB', end.rss);
    const heapAfter = report.figure('heapAfterMiB', end.heap);
    const growth = report.figure('rssGrowthPct', Math.round(((rssAfter - rssBaseline) / rssBaseline) * 100));
    report.figure('rssGrowthFromStartPct', Math.round(((rssAfter - rssStart) / rssStart) * 100));
    report.check('JS heap after GC back near its baseline (≤ +25 % or +4 MiB): nothing retained', heapAfter <= Math.max(heapBaseline * 1.25, heapBaseline + 4), { heapBaseline, heapAfter });
    report.check(`RSS after GC back near its post-warm-up baseline (≤ +${opts.rssTolerancePct} %)`, rssAfter <= rssBaseline * (1 + opts.rssTolerancePct / 100), { rssBaseline, rssAfter, growth });
  } catch (error) {
    report.check('drill ran to the end', false, String(error?.stack ?? error));
  } finally {
    await home.cleanup();
  }
  return report.finish();
}
