// Drill 4 — input at scale: `attached` real `ccx attach` clients (each in a
// PTY of its own) type into one session while `sends` concurrent `ccx send`
// processes paste into it. The program records its raw input to a file.
// Every send must arrive whole (its text and Enter contiguous, never split
// by other input), exactly once; every attached client's keystrokes must all
// arrive, once, in the order typed; and nothing else may arrive.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CCX_BIN, crashLines, isAlive, makeHome, ROOT, sleep, waitFor } from '../packages/testkit/dist/index.js';
import { pool, Report, rng } from './lib/report.mjs';

export const INPUT_DEFAULTS = { attached: 8, sends: 20, bursts: 60, maxSendBytes: 32 * 1024, seed: 31 };
export const INPUT_SMOKE = { attached: 3, sends: 8, bursts: 20, maxSendBytes: 8 * 1024, seed: 31 };

/** Each attached client types only letters of its own, so its keystrokes can be picked out of the record. */
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const alphabetOf = (i) => LETTERS.slice(i * 6, i * 6 + 6);
/** Send payloads use none of those letters: digits, punctuation and multi-byte characters. */
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
const PAYLOAD_CHARS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '.', ',', '+', 'é', 'ß', '漢', '字', '🙂'];

function payload(r, index, size) {
  let body = '';
  while (Buffer.byteLength(body) < size) body += r.pick(PAYLOAD_CHARS);
  const tag = String(index).padStart(2, '0');
  return `{${tag}<${body}>${tag}}`;
}

export async function inputScaleDrill(options = {}) {
  const opts = { ...INPUT_DEFAULTS, ...options };
  const report = new Report('input at scale');
  const home = makeHome('ccxi-');
  const r = rng(opts.seed);
  const terms = [];
  try {
    const pty = createRequire(join(ROOT, 'test', 'package.json'))('node-pty');
    const record = join(home.dir, 'input.rec');
    // The recorder turns bracketed paste on, as Claude Code and Codex do: each send then arrives as ESC[200~ text ESC[201~ CR.
    const started = await home.ccx(['start', '--json', '--name', 'rec', '--', 'bash', '--norc', '--noprofile', '-c', `printf '\\033[?2004h'; stty raw -echo; exec tee ${record}`]);
    if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
    const target = JSON.parse(started.stdout);
    const daemonPid = home.daemonPid();
    await sleep(300);

    // The attached terminals.
    for (let i = 0; i < opts.attached; i++) {
      const term = pty.spawn(process.execPath, [CCX_BIN, 'attach', 'rec'], { name: 'xterm-256color', cols: 100, rows: 30, env: home.env, cwd: home.dir });
      term.onData(() => {});
      terms.push(term);
    }
    const attachedCount = async () => JSON.parse((await home.ccx(['list', '--json'])).stdout).find((s) => s.id === target.id)?.attachedClients;
    await waitFor(async () => (await attachedCount()) === opts.attached, 30_000, `${opts.attached} clients attached`, 200);
    report.figure('attachedClients', opts.attached);

    // Keystrokes and pastes, all at once.
    const typed = terms.map(() => '');
    const typing = terms.map(async (term, i) => {
      const alphabet = alphabetOf(i);
      for (let b = 0; b < opts.bursts; b++) {
        let burst = '';
        for (let k = r.int(1, 6); k > 0; k--) burst += alphabet[r.int(0, alphabet.length - 1)];
        typed[i] += burst;
        term.write(burst);
        await sleep(r.int(5, 40));
      }
    });
    const payloads = Array.from({ length: opts.sends }, (_, i) => payload(r, i, r.int(16, opts.maxSendBytes)));
    const t0 = performance.now();
    const sends = await pool(payloads, opts.sends, (text) => home.ccx(['send', 'rec', text], { timeoutMs: 120_000 }));
    await Promise.all(typing);
    const sendSeconds = (performance.now() - t0) / 1000;
    report.figure('sends', `${sends.filter((s) => s.code === 0).length}/${opts.sends} ok`);
    report.check('every send succeeded', sends.every((s) => s.code === 0), sends.filter((s) => s.code !== 0).map((s) => s.stderr.trim()).slice(0, 3));

    const wrapped = payloads.map((p) => `${PASTE_START}${p}${PASTE_END}\r`);
    const expectedBytes = wrapped.reduce((n, w) => n + Buffer.byteLength(w), 0) + typed.reduce((n, t) => n + t.length, 0);
    report.figure('inputBytes', expectedBytes);
    report.figure('secondsForAllInput', Math.round(sendSeconds * 10) / 10);
    const size = () => {
      try {
        return readFileSync(record).length;
      } catch {
        return 0;
      }
    };
    await waitFor(() => size() >= expectedBytes, 30_000, 'every byte in the record').catch(() => {});
    await sleep(500);
    const text = readFileSync(record).toString('utf8');
    report.figure('recordedBytes', Buffer.byteLength(text));
    report.check('exactly the bytes typed and sent arrived, no more, no fewer', Buffer.byteLength(text) === expectedBytes, { expected: expectedBytes, got: Buffer.byteLength(text) });

    // Sends: each exactly once, whole, its Enter right after it.
    let rest = text;
    const problems = [];
    for (const [i, w] of wrapped.entries()) {
      const at = rest.indexOf(w);
      if (at < 0) problems.push(`send ${i} not whole`);
      else if (rest.indexOf(payloads[i], at + w.length) >= 0) problems.push(`send ${i} twice`);
      else rest = rest.slice(0, at) + '\u0000' + rest.slice(at + w.length);
    }
    report.check('every send arrived once, whole, inside its paste markers, with its Enter right after it', problems.length === 0, problems.slice(0, 5));
    // What is left is the attached clients' keystrokes, interleaved only between sends.
    const leftover = rest.replaceAll('\u0000', '');
    const stray = [...leftover].filter((ch) => !LETTERS.slice(0, opts.attached * 6).includes(ch));
    report.check('nothing but keystrokes outside the sends', stray.length === 0, stray.slice(0, 20).join(''));
    const misordered = typed.map((t, i) => ({ i, got: [...leftover].filter((ch) => alphabetOf(i).includes(ch)).join(''), t })).filter((x) => x.got !== x.t);
    report.check("every attached client's keystrokes arrived, once, in the order typed", misordered.length === 0, misordered.slice(0, 2).map((x) => ({ client: x.i, typed: x.t.length, got: x.got.length })));
    report.figure('keystrokeBytes', typed.reduce((n, t) => n + t.length, 0));

    report.check('the daemon is the same process and logged no uncaught error', isAlive(daemonPid) && home.daemonPid() === daemonPid && crashLines(home).length === 0, crashLines(home).slice(0, 2));
  } catch (error) {
    report.check('drill ran to the end', false, String(error?.stack ?? error));
  } finally {
    for (const term of terms) {
      try {
        process.kill(term.pid, 'SIGKILL');
      } catch {}
    }
    await home.cleanup();
  }
  return report.finish();
}
