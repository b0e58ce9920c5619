/**
 * Program output cannot act on the person attached (issue 11, point 6).
 * `ccx attach` runs in a real PTY (node-pty) whose raw bytes are the
 * attached terminal's input: clipboard writes, passthrough, colour changes
 * and titles reach it only when allowed; terminal queries never do, and the
 * daemon answers them for the program, once, attached or not.
 */
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import { CCX_BIN, FIXTURES, homesFor, startSession, waitFor, waitForOutput, type Home } from './helpers/ccx.js';
import { ptysFor } from './helpers/terminals.js';

const home = homesFor(test);
const ptys = ptysFor(test);

/** `ccx attach` in a PTY of its own: what it writes is what the attached terminal would receive. */
function attachClient(h: Home, target: string, args: string[] = []): { p: pty.IPty; received: () => Buffer; exit: Promise<number> } {
  const p = pty.spawn(process.execPath, [CCX_BIN, 'attach', target, ...args], { cols: 80, rows: 24, env: h.env as Record<string, string>, name: 'xterm-256color', encoding: null } as pty.IPtyForkOptions);
  ptys.push(p);
  h.track(p.pid);
  const chunks: Buffer[] = [];
  p.onData((d) => chunks.push(Buffer.from(d as unknown as Buffer)));
  const exit = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
  return { p, received: () => Buffer.concat(chunks), exit };
}

const ESC = '\x1b';
const CLIPBOARD = `${ESC}]52;c;aGVsbG8=\x07`;
const TMUX_PASSTHROUGH = `${ESC}Ptmux;${ESC}${ESC}]52;c;eA==\x07${ESC}\\`;
const COLOUR = `${ESC}]11;rgb:ff/00/00${ESC}\\`;
const TITLE = `${ESC}]2;evil-title\x07`;
const KITTY_GRAPHICS = `${ESC}_Gi=1;AAAA${ESC}\\`;
const CURSOR_QUERY = `${ESC}[6n`;
/** Text between the sequences: once they are dropped the letters run together. */
const HOSTILE = `A${CLIPBOARD}B${TMUX_PASSTHROUGH}C${COLOUR}D${TITLE}E${CURSOR_QUERY}F${KITTY_GRAPHICS}END`;

/** A program that prints READY, and HOSTILE after a line of input (so it comes after the attach). */
async function hostileProgram(h: Home): Promise<string> {
  const script = `printf 'READY\\n'; read x; printf '%s\\n' "$HOSTILE"; exec sleep 60`;
  return (await startSession(h, ['--env', `HOSTILE=${HOSTILE}`, '--', 'sh', '-c', script])).id;
}

/** Attaches, makes the program print HOSTILE, and returns what the attached terminal received once it got all of it. */
async function receivedByAttached(h: Home, args: string[] = []): Promise<string> {
  const target = await hostileProgram(h);
  const client = attachClient(h, target, args);
  await waitFor(() => client.received().includes('READY'), 20_000, 'the attached terminal to show READY');
  const sent = await h.ccx(['send', target, 'go']);
  if (sent.code !== 0) throw new Error(`send failed: ${sent.stderr}`);
  await waitFor(() => client.received().includes('END'), 20_000, 'the attached terminal to receive the program output');
  client.p.write('\x1c');
  await client.exit;
  return client.received().toString('latin1');
}

test('by default attach drops from program output: clipboard writes, DCS or tmux passthrough, colour changes, titles, APC, queries', async (t) => {
  const received = await receivedByAttached(home());
  t.true(received.includes('ABCDEFEND'), 'the text around the sequences arrives, with nothing between');
  for (const [what, sequence] of Object.entries({ CLIPBOARD, TMUX_PASSTHROUGH, COLOUR, TITLE, KITTY_GRAPHICS, CURSOR_QUERY })) {
    t.false(received.includes(sequence), `${what} does not reach the attached terminal`);
  }
  t.false(received.includes(`${ESC}]52`), 'no OSC 52 at all, also not the one inside the passthrough');
  t.false(received.includes('evil-title'));
});

const ALLOW_ALL = ['--allow', 'clipboard,passthrough,colors,title'];

test('attach --allow clipboard,passthrough,colors,title lets those through', async (t) => {
  const received = await receivedByAttached(home(), ALLOW_ALL);
  for (const [what, sequence] of Object.entries({ CLIPBOARD, TMUX_PASSTHROUGH, COLOUR, TITLE, KITTY_GRAPHICS })) {
    t.true(received.includes(sequence), `${what} reaches the attached terminal byte for byte`);
  }
});

test('with every kind allowed, a query still never reaches the attached terminal', async (t) => {
  const received = await receivedByAttached(home(), ALLOW_ALL);
  t.false(received.includes(CURSOR_QUERY), 'the daemon answers queries: the attached terminal never sees them');
});

/** A home whose config file allows titles in attach. */
function homeAllowingTitle(): Home {
  const h = home();
  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify({ attach: { allow: ['title'] } }));
  return h;
}

test('the config key attach.allow applies when attach names none', async (t) => {
  const configured = await receivedByAttached(homeAllowingTitle());
  t.true(configured.includes(TITLE), 'the title, allowed by the config file, passes');
  t.false(configured.includes(CLIPBOARD), 'the clipboard write, not allowed, does not');
});

test('attach --allow replaces the config key attach.allow', async (t) => {
  const h = homeAllowingTitle();
  const flagged = await receivedByAttached(h, ['--allow', 'clipboard']);
  t.true(flagged.includes(CLIPBOARD));
  t.false(flagged.includes(TITLE), '--allow replaces the config file value');
});

test('an unknown --allow kind or config value is refused with the kinds to choose from', async (t) => {
  const h = home();
  const flag = await h.ccx(['attach', 'x', '--allow', 'clipboard,keyboard']);
  t.is(flag.code, 2);
  t.regex(flag.stderr, /--allow: unknown kind "keyboard" \[E_USAGE\]/);
  t.regex(flag.stderr, /hint: allowed kinds: clipboard, passthrough, colors, title/);

  mkdirSync(join(h.dir, 'config'), { recursive: true });
  writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify({ attach: { allow: ['everything'] } }));
  const target = await hostileProgram(h);
  const client = attachClient(h, target);
  t.is(await client.exit, 2);
  t.regex(client.received().toString('utf8'), /attach\.allow: unknown kind "everything" \[E_USAGE\]/);
});

/** The cursor position reports in what the ask-terminal fixture printed as `GOT <hex>`. */
function repliesIn(log: string): { all: string; reports: string[] } {
  const hex = /GOT ([0-9a-f]*)/.exec(log)?.[1] ?? '';
  const all = Buffer.from(hex, 'hex').toString('latin1');
  return { all, reports: all.match(/\x1b\[\d+;\d+R/g) ?? [] };
}

test('a program that asks for the cursor position with nobody attached gets exactly one answer, from the daemon', async (t) => {
  const h = home();
  const { id } = await startSession(h, ['--', 'python3', join(FIXTURES, 'ask-terminal.py'), '\\x1b[6n', '0']);
  const log = await waitForOutput(h, id, /GOT [0-9a-f]*\r\n/, 30_000);
  const { all, reports } = repliesIn(log);
  // READY and CR LF were printed first: the cursor is at row 2, column 1.
  t.deepEqual(reports, ['\x1b[2;1R'], `got ${JSON.stringify(all)}`);
});

test('with two attached clients whose terminals answer too, the program still gets exactly one answer', async (t) => {
  const h = home();
  const { id } = await startSession(h, ['--', 'python3', join(FIXTURES, 'ask-terminal.py'), '\\x1b[6n', '2']);
  const clients = [attachClient(h, id), attachClient(h, id)];
  for (const c of clients) await waitFor(() => c.received().includes('READY'), 20_000, 'each client to show READY');
  clients[0]!.p.write('g');
  for (const c of clients) await waitFor(() => c.received().includes('ASKED'), 20_000, 'each client to see the question asked');
  // What a real terminal would do on seeing the query: answer it (and the test's marker).
  for (const c of clients) c.p.write('\x1b[5;5Rz');
  const log = await waitForOutput(h, id, /GOT [0-9a-f]*\r\n/, 30_000);
  const { all, reports } = repliesIn(log);
  t.is(all.split('z').length - 1, 2, `both clients' keys reached the program: ${JSON.stringify(all)}`);
  t.deepEqual(reports, ['\x1b[2;1R'], `one answer, the daemon's: ${JSON.stringify(all)}`);
  for (const c of clients) t.false(c.received().includes(CURSOR_QUERY), 'the query never reached an attached terminal');
});

let queryFlood: Promise<{ asked: number; answered: number; log: string }> | undefined;
/** A program that asks 2,000,000 queries without reading its input, then reads (run once for the tests below): daemon RSS once asked and once answered, and what it printed. */
function queryFloodRun(): Promise<{ asked: number; answered: number; log: string }> {
  queryFlood ??= floodWithQueries();
  return queryFlood;
}

async function floodWithQueries(): Promise<{ asked: number; answered: number; log: string }> {
  const h = home();
  const go = join(h.dir, 'go');
  const { id } = await startSession(h, ['--', 'python3', join(FIXTURES, 'query-flood.py'), go, '2000000']);
  await waitFor(async () => (await h.ccx(['screen', id])).stdout.includes('ASKED'), 120_000, 'the screen to have parsed every query');
  const rssMiB = async (): Promise<number> => Math.round(JSON.parse((await h.ccx(['daemon', 'status', '--json'])).stdout).rssBytes / 2 ** 20);
  const asked = await rssMiB();
  writeFileSync(go, '');
  const log = await waitForOutput(h, id, /DRAINED \d+ ANSWER [0-9a-f]*\r\n/, 60_000);
  const answered = await rssMiB();
  return { asked, answered, log };
}

test('a program that asks 2,000,000 queries without reading its input does not grow the daemon', async (t) => {
  const { asked, answered } = await queryFloodRun();
  // Unbounded (one message and one queued PTY write per answer): 473 MiB, and
  // the program still had not read its way through them after 60 s. Bounded: 128 MiB.
  t.true(Math.max(asked, answered) < 300, `daemon RSS ${asked} MiB once asked, ${answered} MiB once answered`);
});

test('a program that asked 2,000,000 queries without reading its input is answered again once it reads', async (t) => {
  const { log } = await queryFloodRun();
  const [, drained, answer] = /DRAINED (\d+) ANSWER ([0-9a-f]*)/.exec(log)!;
  t.true(Number(drained) >= 1, 'the answers given before its input was full were kept');
  t.regex(Buffer.from(answer!, 'hex').toString('latin1'), /^\x1b\[\d+;\d+R/, 'a query asked after reading is answered');
});
