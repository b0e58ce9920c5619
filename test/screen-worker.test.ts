/**
 * The screen worker (packages/daemon/src/session/screen-host.ts): screens are
 * parsed on a worker thread, and every answer must still reflect all output
 * written before the question, however much there was; a worker that dies
 * must neither leave questions hanging nor stop the screens for good.
 */
import test from 'ava';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, ccxOk, homesFor, outputLogBytes, parseJson, startSession, waitFor } from './helpers/ccx.js';
// The daemon's compiled modules (the suite runs on a fresh build).
import type { CcxError } from '@ccx/shared';
import type { Logger } from '../packages/daemon/dist/logger.js';
import { ScreenHost } from '../packages/daemon/dist/session/screen-host.js';
import { Screen } from '../packages/daemon/dist/session/screen.js';
import { screenText } from '../packages/daemon/dist/session/screen-render.js';

const home = homesFor(test);

/** A logger that keeps what it was told. */
function memoryLogger(): Logger & { lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  const log = (level: string, msg: string): void => void lines.push({ level, msg });
  return { lines, log, info: (msg: string) => log('info', msg), warn: (msg: string) => log('warn', msg), error: (msg: string) => log('error', msg) };
}

/** The text a fresh terminal shows after parsing `bytes` in one go: the reference the worker's answers must equal. */
async function reference(bytes: Buffer, cols: number, rows: number, scrollback = 0): Promise<string> {
  const screen = new Screen(cols, rows);
  screen.write(bytes);
  const text = await screen.whenParsed(() => screenText(screen, scrollback));
  screen.dispose();
  return text;
}

test('screen right after a large burst: the session screen equals the whole output parsed afresh', async (t) => {
  const h = home();
  const program = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(FIXTURES, 'write-lines.js'))} 4000000; echo END-MARK; exec sleep 60`;
  const { id } = await startSession(h, ['--cols', '80', '--rows', '24', '--', 'sh', '-c', program]);
  // Matched against the screen: the waiter asks the worker too.
  const printed = await ccxOk(h, ['wait', id, '--from', '0', '--screen', '--until', '^END-MARK$', '--print', 'screen', '--timeout', '60']);
  t.regex(printed, /END-MARK$/);
  const screen = parseJson(await h.ccx(['screen', id, '--json', '--scrollback', '30']));
  const log = outputLogBytes(h, id);
  t.is(screen.offset, log.length, 'no output after the mark');
  t.is(screen.text, await reference(log, 80, 24, 30));
  t.regex(screen.text, /\nEND-MARK$/);
  await ccxOk(h, ['cancel', id]);
});

test('screen host: answers come after every write before them, for several screens at once', async (t) => {
  const host = new ScreenHost({ logger: memoryLogger() });
  try {
    const a = host.open(40, 10);
    const b = host.open(60, 5);
    const chunks: Buffer[] = [];
    for (let i = 0; i < 3000; i++) chunks.push(Buffer.from(`line ${i} ${'x'.repeat(i % 70)}\r\n`));
    for (const chunk of chunks) {
      a.write(chunk);
      b.write(chunk);
    }
    // Small Buffers share a pooled slab: posting one must leave it, and the bytes next to it, intact.
    const pooled = Buffer.from('pooled\r\n');
    a.write(pooled);
    b.write(pooled);
    t.is(pooled.toString(), 'pooled\r\n');
    chunks.push(pooled);
    const all = Buffer.concat(chunks);
    t.is(await a.text(), await reference(all, 40, 10));
    t.is(await b.text(), await reference(all, 60, 5));
    b.resize(30, 5);
    b.write(Buffer.from('\x1b[?2004hafter resize'));
    t.true(await b.bracketedPaste());
    t.false(await a.bracketedPaste());
    t.like(await b.snapshot(0, true), { cols: 30, rows: 5, alternateScreen: false });
    t.regex(await b.text(), /after resize$/);
    t.true((await a.replay()).startsWith('\x1b[H\x1b[2J'));
    a.dispose();
    await t.throwsAsync(a.text(), { message: /screen is closed/ });
  } finally {
    await host.dispose();
  }
});

/** A screen host on the dying-screen-worker fixture (its worker exits when a screen is written "die"), one 80x24 screen open. */
function hostWithDyingWorker() {
  const logger = memoryLogger();
  const host = new ScreenHost({ logger, workerUrl: pathToFileURL(join(FIXTURES, 'dying-screen-worker.mjs')) });
  return { logger, host, screen: host.open(80, 24) };
}

test('screen host: a worker that dies fails its open questions at once', async (t) => {
  const { logger, host, screen } = hostWithDyingWorker();
  try {
    screen.write(Buffer.from('before'));
    t.is(await screen.text(), 'before');
    screen.write(Buffer.from('die'));
    const error = await t.throwsAsync(screen.text());
    t.is((error as CcxError).code, 'E_INTERNAL');
    t.is(host.restarts, 1);
    t.true(logger.lines.some((l) => l.level === 'error' && /screen worker exited/.test(l.msg)), JSON.stringify(logger.lines));
  } finally {
    await host.dispose();
  }
});

test('screen host: a worker that died is replaced with blank screens that take output again', async (t) => {
  const { host, screen } = hostWithDyingWorker();
  try {
    screen.write(Buffer.from('before'));
    await screen.text();
    screen.write(Buffer.from('die'));
    await screen.text().catch(() => undefined);
    // While the new worker starts, questions fail fast; then the screen is blank and takes output again.
    const answer = await waitFor(() => screen.text().then((text) => ({ text }), () => undefined), 15_000, 'a new screen worker');
    t.is(answer.text, '');
    screen.write(Buffer.from('after'));
    t.is(await screen.text(), 'after');
  } finally {
    await host.dispose();
  }
});

test('screen host: once stopped, a screen opened on it fails as stopped', async (t) => {
  const { host } = hostWithDyingWorker();
  await host.dispose();
  await t.throwsAsync(host.open(10, 10).text(), { message: /stopped/ });
});

test('screen host: stopping it fails open questions instead of leaving them waiting', async (t) => {
  const host = new ScreenHost({ logger: memoryLogger() });
  const screen = host.open(80, 24);
  screen.write(Buffer.alloc(2_000_000, 'y'));
  const pending = screen.text();
  await host.dispose();
  await t.throwsAsync(pending, { message: /stopping/ });
});

