import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catLifecycle as lifecycle, ccxOk as ok, makeHome, parseJson, waitFor, type Home } from './helpers/ccx.js';

const homes: Home[] = [];
const home = (config?: Record<string, unknown>): Home => {
  const h = makeHome();
  homes.push(h);
  if (config) {
    mkdirSync(join(h.dir, 'config'), { recursive: true });
    writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify(config));
  }
  return h;
};
test.after.always(async () => {
  await Promise.all(homes.map((h) => h.cleanup()));
});

interface Event {
  seq: number;
  type: string;
  sessionId?: string;
  [k: string]: unknown;
}

interface Follower {
  child: ChildProcess;
  events: Event[];
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs `ccx events ... --json` and parses its lines as they come. */
function follow(h: Home, args: string[]): Follower {
  const child = h.spawnCcx(['events', ...args, '--json']);
  const events: Event[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line) events.push(JSON.parse(line));
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, events, stderr: () => stderr, exited };
}

const cancelledStatus = (f: Follower, id: string): boolean => f.events.some((e) => e.sessionId === id && e.type === 'session-status' && e.status === 'cancelled');

async function lastSeq(h: Home): Promise<number> {
  return parseJson(await h.ccx(['daemon', 'status', '--json'])).events.lastSeq;
}

test('events --since resumes with no gap or duplicate, even with events flowing during the hand-over', async (t) => {
  const h = home();
  await ok(h, ['daemon', 'start']);
  const first = follow(h, ['-f']);
  const a = await lifecycle(h, 'a');
  const b = await lifecycle(h, 'b');
  await waitFor(() => cancelledStatus(first, a) && cancelledStatus(first, b), 20_000, 'first follower to see a and b end');
  first.child.kill('SIGKILL');
  await first.exited;
  const seen = first.events.map((e) => e.seq);
  const resumeFrom = seen[seen.length - 1]!;

  // Events while nobody follows...
  const c = await lifecycle(h, 'c');
  // ...and while the second follower replays the log and switches to live events.
  await ok(h, ['start', '--name', 'busy', '--', 'cat']);
  const second = follow(h, ['--since', String(resumeFrom), '-f']);
  const [d] = await Promise.all([lifecycle(h, 'd'), ...Array.from({ length: 8 }, (_, i) => ok(h, ['send', 'busy', `line ${i}`]))]);
  await ok(h, ['cancel', 'busy']);
  const end = await lastSeq(h);
  await waitFor(() => second.events.some((e) => e.seq === end), 20_000, `second follower to reach seq ${end}`);
  t.true(cancelledStatus(second, c) && cancelledStatus(second, d!));

  const resumed = second.events.map((e) => e.seq);
  t.is(resumed[0], resumeFrom + 1, 'resumes right after the last seq seen');
  t.deepEqual(
    [...seen, ...resumed],
    Array.from({ length: end }, (_, i) => i + 1),
    'together: every seq from 1 to the last, once each, in order',
  );
  t.log(`first follower: seq 1..${resumeFrom}; second: ${resumeFrom + 1}..${end} (${resumed.length} events)`);
});

/** Two sessions, fa and fb, started and cancelled; the id of fa. */
async function twoLifecycles(h: Home): Promise<string> {
  const a = await lifecycle(h, 'fa');
  await lifecycle(h, 'fb');
  return a;
}

test('events filters by session, by type', async (t) => {
  const h = home();
  const a = await twoLifecycles(h);
  const exits = (await ok(h, ['events', 'fa', '--type', 'process-exit', '--type', 'cancel-initiated', '--json'])).split('\n').map((l) => JSON.parse(l));
  t.deepEqual(
    exits.map((e) => [e.type, e.sessionId]),
    [
      ['cancel-initiated', a],
      ['process-exit', a],
    ],
  );
});

test('events prints a readable line per event', async (t) => {
  const h = home();
  const a = await twoLifecycles(h);
  const human = await ok(h, ['events', a]);
  t.regex(human, new RegExp(`^\\s*\\d+  \\S+Z  session-created\\s+${a}  name=fa`, 'm'));
  t.regex(human, /process-exit\s+\w+\s+code=null signal=SIGINT/);
});

test("a removed session's events can still be asked for by its id", async (t) => {
  const h = home();
  const a = await twoLifecycles(h);
  // A removed session's events can still be asked for by its id.
  await ok(h, ['rm', 'fa']);
  t.true((await ok(h, ['events', a, '--json'])).split('\n').length >= 5);
});

test('events of an unknown session is not found (exit 3)', async (t) => {
  const h = home();
  const unknown = await h.ccx(['events', 'nosuchsession']);
  t.is(unknown.code, 3);
});

/** A home whose events log keeps seq 100..104 only, as after rotation dropped 1..99. */
function homeWithRotatedLog(): Home {
  const h = home();
  // A log whose oldest kept event is seq 100, as after rotation dropped 1..99.
  mkdirSync(join(h.dir, 'state'), { recursive: true, mode: 0o700 });
  const old = Array.from({ length: 5 }, (_, i) => JSON.stringify({ seq: 100 + i, type: 'session-removed', time: new Date().toISOString(), sessionId: 'zzzzzzzz' }) + '\n');
  writeFileSync(join(h.dir, 'state', 'events.log'), old.join(''));
  return h;
}

test('--since older than the rotated events log keeps is an error that says so', async (t) => {
  const h = homeWithRotatedLog();
  const gap = await h.ccx(['events', '--since', '5']);
  t.is(gap.code, 1);
  t.regex(gap.stderr, /events 6…99 are no longer kept.*starts at seq 100 \[E_GAP\]/);
  t.regex(gap.stderr, /hint: .*ccx events --since 99/);
  const json = await h.ccx(['events', '--since', '5', '--json']);
  t.like(JSON.parse(json.stderr).error, { code: 'E_GAP', details: { oldestSeq: 100, since: 5 } });
});

test('--since just before the oldest kept event reads the rotated log from there', async (t) => {
  const h = homeWithRotatedLog();
  const kept = (await ok(h, ['events', '--since', '99', '--json'])).split('\n').map((l) => JSON.parse(l).seq);
  t.deepEqual(kept, [100, 101, 102, 103, 104, 105], 'from the oldest kept on, the new daemon-started (105) included');
});

test('--since past the last event is an error that says so', async (t) => {
  const h = homeWithRotatedLog();
  const past = await h.ccx(['events', '--since', '500']);
  t.is(past.code, 2);
  t.regex(past.stderr, /past the last event \(seq 105\)/);
});

test('a follower that stops reading is cut off (E_OVERFLOW, with a resume point) instead of buffered without bound', async (t) => {
  const h = home({ events: { followerQueueMax: 20 } });
  const id = await ok(h, ['start', '--', 'bash', '-c', 'sleep 1; while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done']);
  const subscribers = async (): Promise<number> => parseJson(await h.ccx(['daemon', 'status', '--json'])).events.subscribers;
  const baseline = await subscribers();
  // Output events make a fast stream; this follower stops reading its stdout.
  const child = h.spawnCcx(['events', id, '--type', 'session-output', '-f', '--json']);
  child.stdout!.pause();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  await waitFor(async () => (await subscribers()) > baseline, 20_000, 'the follower to subscribe');
  // The daemon drops the follower's subscription once its queue is full, without waiting for it to read.
  await waitFor(async () => (await subscribers()) === baseline, 90_000, 'the daemon to cut the follower off');
  child.stdout!.resume();
  const code = await exited;
  t.is(code, 1);
  const error = JSON.parse(stderr).error;
  t.is(error.code, 'E_OVERFLOW');
  t.regex(error.message, /fell more than 20 events behind/);
  t.is(typeof error.details.resumeSince, 'number');
  t.true(error.hint.includes(`ccx events --since ${error.details.resumeSince} -f`));
  await ok(h, ['kill', id]);
  const status = parseJson(await h.ccx(['daemon', 'status', '--json']));
  t.true(status.rssBytes < 512 * 1024 * 1024);
});

test('session-status busy/idle events follow the configured quiet period', async (t) => {
  const h = home({ idleAfterMs: 300 });
  const id = await ok(h, ['start', '--', 'bash', '-c', 'echo one; sleep 1.5; echo two; sleep 30']);
  const follower = follow(h, [id, '--type', 'session-status', '-f']);
  await waitFor(() => follower.events.filter((e) => e.activity === 'idle').length >= 2, 20_000, 'two idle transitions');
  const activity = follower.events.filter((e) => e.activity).map((e) => e.activity);
  t.deepEqual(activity.slice(0, 4), ['busy', 'idle', 'busy', 'idle']);
  const [busy, idle] = follower.events.filter((e) => e.activity) as Array<Event & { time: string }>;
  t.true(Date.parse(idle!.time) - Date.parse(busy!.time) >= 300, 'idle only after the quiet period');
  follower.child.kill('SIGKILL');
  await ok(h, ['kill', id]);
});
