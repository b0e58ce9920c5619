// Drill 6 — input acknowledgement (issue 11 point 9): what a `send` reply
// promises. (a) `sends` sends of `sendBytes` each to a program that is
// stopped (SIGSTOP): the daemon must not grow with them (a bounded input
// queue refuses what does not fit, E_BUSY), and every reply must add up
// (written + queued = bytes). (b) `killRounds` times: one send to a `cat`
// writing to a file, then kill -9 of the daemon right after the reply; the
// bytes that did not reach the file must be no more than the reply called
// `queued` plus what the terminal still buffered: `written` bytes were in the
// kernel's hands, and a hangup drops what its buffer holds unread.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client, crashLines, isAlive, makeHome, rssBytes, sleep, waitFor } from '../packages/testkit/dist/index.js';
import { forceGc, gcEnv } from './lib/gc.mjs';
import { mib, Report } from './lib/report.mjs';

/** Generous bound on what a Linux PTY holds between the master and a reading program (4 KiB line buffer plus flip buffers). */
const PTY_BUFFER_BOUND_BYTES = 64 * 1024;

export const ACK_DEFAULTS = { sends: 160, sendBytes: 500_000, killRounds: 3, seed: 1 };
export const ACK_SMOKE = { sends: 12, sendBytes: 500_000, killRounds: 1, seed: 1 };

/** Printable bytes in lines of 100 (a terminal in raw mode passes them as they are). */
function text(bytes) {
  let out = '';
  const line = 'x'.repeat(99) + '\n';
  while (out.length + line.length <= bytes) out += line;
  return out + 'y'.repeat(bytes - out.length);
}

export async function inputAckDrill(options = {}) {
  const opts = { ...ACK_DEFAULTS, ...options };
  const report = new Report('input acknowledgement');
  const payload = text(opts.sendBytes);
  let home = makeHome('ccxa-');
  try {
    // (a) A stopped program. The daemon's inspector lets the drill run a full GC: the figure is what it retains.
    const inspector = await gcEnv();
    Object.assign(home.env, inspector.env);
    await home.startDaemon();
    const started = await home.ccx(['start', '--json', '--', 'sh', '-c', 'stty raw -echo; echo ready; exec sleep 600']);
    if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
    const session = JSON.parse(started.stdout);
    await waitFor(async () => (await home.ccx(['logs', session.id])).stdout.includes('ready'), 30_000, 'ready');
    process.kill(session.pid, 'SIGSTOP');
    const daemonPid = home.daemonPid();
    await forceGc(daemonPid, inspector.port);
    const rssBefore = rssBytes(daemonPid);
    const client = await Client.connect(home.socketPath);
    const t0 = performance.now();
    const replies = [];
    const refusals = {};
    for (let i = 0; i < opts.sends; i++) {
      try {
        replies.push(await client.request('session.send', { target: session.id, text: payload, enter: false }, 60_000));
      } catch (error) {
        refusals[error.code ?? String(error)] = (refusals[error.code ?? String(error)] ?? 0) + 1;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const rssAfterSends = rssBytes(daemonPid);
    client.destroy();
    const collected = await forceGc(daemonPid, inspector.port);
    const rssAfter = rssBytes(daemonPid);
    report.figure('stoppedProgram', `${opts.sends} × ${opts.sendBytes} B`);
    report.figure('acked', replies.length);
    report.figure('refused', refusals);
    report.figure('secondsForAllSends', Math.round(seconds * 10) / 10);
    report.figure('daemonRssMiB', `${mib(rssBefore)} → ${mib(rssAfterSends)} right after the sends → ${mib(rssAfter)} after a full GC${collected ? '' : ' (GC not reached)'}`);
    const queued = replies.reduce((n, r) => n + (r.queued ?? 0), 0);
    report.figure('queuedBytesAcked', queued);
    report.check('every reply adds up: written + queued = bytes', replies.every((r) => r.written + r.queued === r.bytes), replies.slice(0, 2));
    report.check('what does not fit the input queue is refused with E_BUSY', replies.length < opts.sends && Object.keys(refusals).every((c) => c === 'E_BUSY'), refusals);
    report.check('the daemon retains at most ~1 MiB of input for the stopped program (RSS after GC grew < 16 MiB)', rssAfter - rssBefore < 16 * 1024 * 1024, { before: mib(rssBefore), after: mib(rssAfter) });
    process.kill(session.pid, 'SIGCONT');
    report.check('the daemon is the same process and logged no uncaught error', isAlive(daemonPid) && crashLines(home).length === 0, crashLines(home).slice(0, 2));
    await home.cleanup();

    // (b) kill -9 right after an ack.
    const rounds = [];
    for (let round = 0; round < opts.killRounds; round++) {
      home = makeHome('ccxa-');
      const out = join(home.dir, 'received');
      const cat = await home.ccx(['start', '--json', '--', 'sh', '-c', `stty raw -echo; echo ready; exec cat > ${out}`]);
      if (cat.code !== 0) throw new Error(`start failed: ${cat.stderr}`);
      const id = JSON.parse(cat.stdout).id;
      await waitFor(async () => (await home.ccx(['logs', id])).stdout.includes('ready'), 30_000, 'ready');
      const pid = home.daemonPid();
      const c = await Client.connect(home.socketPath);
      const reply = await c.request('session.send', { target: id, text: payload, enter: false }, 60_000);
      process.kill(pid, 'SIGKILL');
      c.destroy();
      await waitFor(() => !isAlive(pid), 10_000, 'the daemon gone');
      // cat ends on the hangup; give it a moment to write what it read.
      await sleep(1_000);
      let received = 0;
      try {
        received = statSync(out).size;
      } catch {}
      const intact = received === 0 || readFileSync(out).equals(Buffer.from(payload).subarray(0, received));
      rounds.push({ written: reply.written, queued: reply.queued, received, lost: opts.sendBytes - received, intact });
      await home.cleanup();
    }
    report.figure('killAfterAck', rounds.map((r) => `written ${r.written}, queued ${r.queued}, lost ${r.lost}`));
    report.check('the reply says what is at risk: written + queued = bytes', rounds.every((r) => r.written + r.queued === opts.sendBytes), rounds);
    // Written means the kernel took it: what the terminal still buffered for cat when the master closed is dropped by the hangup (at most a few KiB).
    report.check('the kill lost no more than the reply called queued, plus what the terminal still buffered (< 64 KiB)', rounds.every((r) => r.lost <= r.queued + PTY_BUFFER_BOUND_BYTES), rounds);
    report.check('what arrived is the start of what was sent, in order', rounds.every((r) => r.intact), rounds);
  } catch (error) {
    report.check('drill ran to the end', false, String(error?.stack ?? error));
  } finally {
    await home.cleanup();
  }
  return report.finish();
}
