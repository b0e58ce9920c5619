/**
 * The modules every session kind shares (issue 13 point 3): one input plan,
 * one status machine, one activity tracker on the injected clock. Unit
 * tests on the built modules, with a real event bus, store and logger in a
 * temp directory; and the end-to-end rule that the daemon alone decides
 * whether Enter follows a send.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CcxError, type SendResult } from '@ccx/shared';
import { EventBus } from '../packages/daemon/dist/events/event-bus.js';
import { FileLogger } from '../packages/daemon/dist/logger.js';
import { SessionStore } from '../packages/daemon/dist/store/session-store.js';
import { planKeys, planSend } from '../packages/daemon/dist/session/input-plan.js';
import { SessionStatusMachine } from '../packages/daemon/dist/session/status-machine.js';
import { ActivityTracker, type ActivityClock } from '../packages/daemon/dist/session/activity-tracker.js';
import type { SessionRecord } from '../packages/daemon/dist/session/session-record.js';
import { Client, homesFor, parseJson, waitFor } from './helpers/ccx.js';

const home = homesFor(test);

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccx-kinds-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runningRecord(id: string): SessionRecord {
  return {
    id, name: null, status: 'running', command: ['sh'], cwd: '/', cols: 80, rows: 24, createdAt: new Date(0).toISOString(), startedAt: null, endedAt: null,
    lastActivityAt: null, exitCode: null, signal: null, error: null, pid: null, processStartTime: null, preset: null, enterDelayMs: 150,
  };
}

test('a send presses Enter after its text unless it says enter: false', (t) => {
  t.true(planSend({ text: 'ls' }, undefined).enter);
  t.false(planSend({ text: 'ls', enter: false }, undefined).enter);
});

test('keys given replace the Enter default', (t) => {
  t.false(planSend({ text: 'x', keys: ['Escape'] }, undefined).enter);
  t.false(planSend({ keys: ['C-c'] }, undefined).enter);
});

test('an explicit enter: true keeps Enter before the keys given', (t) => {
  t.true(planSend({ text: 'x', enter: true, keys: ['Tab'] }, undefined).enter);
});

test('a send of nothing at all presses Enter (ccx send ID)', (t) => {
  t.deepEqual(planSend({}, undefined), { text: undefined, paste: undefined, enter: true, keys: [], enterDelayMs: undefined, record: undefined });
});

test("the Enter delay is the request's, else the named preset's, else left to the session", (t) => {
  t.is(planSend({ text: 'x', enterDelayMs: 5 }, { enterDelayMs: 300 }).enterDelayMs, 5);
  t.is(planSend({ text: 'x' }, { enterDelayMs: 300 }).enterDelayMs, 300);
  t.is(planSend({ text: 'x' }, undefined).enterDelayMs, undefined);
});

test('the keys of a key action (interrupt, approve, deny) are pressed alone, without text or Enter', (t) => {
  t.deepEqual(planKeys(['Escape'], 'interrupt'), { keys: ['Escape'], enter: false, source: 'interrupt' });
});

function machineFor(t: { teardown(fn: () => void): void }, record: SessionRecord) {
  const dir = tempDir(t);
  const logFile = join(dir, 'daemon.log');
  const logger = new FileLogger(logFile, 1 << 20);
  const bus = new EventBus(undefined, logger);
  const events: Array<{ type: string; status?: unknown; activity?: unknown }> = [];
  const subscription = bus.subscribe((e) => events.push(e));
  t.teardown(() => subscription.dispose());
  const store = new SessionStore(join(dir, 'sessions'));
  store.create(record.id);
  const machine = new SessionStatusMachine(record, { bus, logger, store, now: () => new Date(Date.UTC(2026, 0, 2)) });
  t.teardown(() => machine.dispose());
  const saved = (): SessionRecord => JSON.parse(readFileSync(join(dir, 'sessions', record.id, 'meta.json'), 'utf8'));
  return { machine, events, saved, log: () => readFileSync(logFile, 'utf8') };
}

/** A running session's status machine after its program exited with 3. */
function exitedMachine(t: { teardown(fn: () => void): void }) {
  const record = runningRecord('aaaaaaaa');
  const parts = machineFor(t, record);
  parts.machine.ended({ exitCode: 3, signalName: null, cancelled: false });
  return parts;
}

test('an exit is saved with its end time', (t) => {
  const { saved } = exitedMachine(t);
  t.is(saved().status, 'exited');
  t.is(saved().exitCode, 3);
  t.is(saved().endedAt, '2026-01-02T00:00:00.000Z');
});

test('an exit is announced as process-exit followed by session-status', (t) => {
  const { events } = exitedMachine(t);
  t.deepEqual(events.map((e) => [e.type, e.status]), [['process-exit', undefined], ['session-status', 'exited']]);
});

/** A session that failed to start, then told of an exit and a loss: its record, what was saved and logged, and the events before and after. */
function failedThenEndedAgain(t: { teardown(fn: () => void): void }) {
  const record = runningRecord('bbbbbbbb');
  const { machine, events, saved, log } = machineFor(t, record);
  machine.failed(new CcxError('E_SPAWN', 'could not start sh', 'check it'));
  const before = events.length;
  machine.ended({ exitCode: 0, signalName: null, cancelled: true });
  machine.lost('the daemon stopped');
  return { record, events, before, saved, log };
}

test('an ended session stays ended: a later exit or loss changes nothing saved', (t) => {
  const { record, saved } = failedThenEndedAgain(t);
  t.is(saved().status, 'failed');
  t.is(record.error, 'could not start sh');
});

test('an ended session stays ended: a later exit or loss is not announced', (t) => {
  const { events, before } = failedThenEndedAgain(t);
  t.is(events.length, before);
});

test('an ended session stays ended: a later exit or loss is logged as a refused change', (t) => {
  const { log } = failedThenEndedAgain(t);
  t.regex(log(), /session status change refused.*"from":"failed","to":"cancelled"/);
});

/** A cancelled session resumed (the last event then, and its record) and started again as pid 4242. */
function resumedAndStarted(t: { teardown(fn: () => void): void }) {
  const record = runningRecord('cccccccc');
  const { machine, events, saved, log } = machineFor(t, record);
  machine.ended({ exitCode: 0, signalName: null, cancelled: true });
  machine.resumed();
  const afterResume = { status: record.status, endedAt: record.endedAt, exitCode: record.exitCode, announced: events.at(-1) };
  machine.started(4242, 7);
  return { machine, events, saved, log, afterResume };
}

test('a resumed session runs again with its end forgotten', (t) => {
  const { saved, afterResume } = resumedAndStarted(t);
  t.is(afterResume.status, 'running');
  t.is(afterResume.endedAt, null);
  t.is(afterResume.exitCode, null);
  t.is(saved().status, 'running');
  t.is(saved().pid, 4242);
});

test('a resume is announced as running', (t) => {
  const { afterResume } = resumedAndStarted(t);
  t.like(afterResume.announced, { type: 'session-status', status: 'running' });
});

test('a running session is not resumed', (t) => {
  const { machine, events, log } = resumedAndStarted(t);
  const before = events.length;
  machine.resumed();
  t.is(events.length, before);
  t.regex(log(), /session status change refused.*"from":"running","to":"running"/);
});

/**
 * A program that speaks for itself (a structured session): it starts idle,
 * reports busy, prints and falls quiet for 5 s, then reports waiting and idle.
 * What the tracker said along the way.
 */
function structuredSession() {
  const clock = manualClock();
  const changes: string[] = [];
  const told: string[] = [];
  const tracker = new ActivityTracker({ clock, idleAfterMs: 1_500, onChange: (a, w) => changes.push(w ? `${a}:${w}` : a) });
  tracker.onAgentState((s) => told.push(s.activity));
  tracker.speaksFor({ activity: 'idle', waitingFor: null, since: 1 });
  const atStart = { activity: tracker.agent?.activity, changes: [...changes] };
  tracker.reported({ activity: 'busy', waitingFor: null, since: 2 });
  tracker.output();
  clock.advance(5_000);
  const afterQuietOutput = tracker.activity;
  tracker.reported({ activity: 'waiting', waitingFor: 'permission', since: 3 });
  tracker.reported({ activity: 'idle', waitingFor: null, since: 4 });
  tracker.dispose();
  return { atStart, afterQuietOutput, changes, told };
}

test('a program that speaks for itself (a structured session) starts idle, unannounced', (t) => {
  const { atStart } = structuredSession();
  t.is(atStart.activity, 'idle');
  t.deepEqual(atStart.changes, []);
});

test('each change a structured session reports is announced once', (t) => {
  const { changes } = structuredSession();
  t.deepEqual(changes, ['busy', 'waiting:permission', 'idle']);
});

test('each change a structured session reports is told once to its state listeners', (t) => {
  const { told } = structuredSession();
  t.deepEqual(told, ['busy', 'waiting', 'idle']);
});

test('output followed by a quiet spell does not make a busy structured session idle', (t) => {
  const { afterQuietOutput } = structuredSession();
  t.is(afterQuietOutput, 'busy', 'a quiet spell does not make it idle');
});

/** A clock the test moves by hand: timers fire when `advance` passes their time. */
function manualClock(): ActivityClock & { advance(ms: number): void } {
  let nowMs = 1_000_000;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void; every?: number }>();
  const handle = (id: number) => ({ id, unref() {} }) as unknown as NodeJS.Timeout;
  return {
    now: () => new Date(nowMs),
    setTimeout: (fn, ms) => (timers.set(++nextId, { at: nowMs + ms, fn }), handle(nextId)),
    setInterval: (fn, ms) => (timers.set(++nextId, { at: nowMs + ms, fn, every: ms }), handle(nextId)),
    clearTimeout: (h) => void (h && timers.delete((h as unknown as { id: number }).id)),
    clearInterval: (h) => void (h && timers.delete((h as unknown as { id: number }).id)),
    advance(ms) {
      const until = nowMs + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, x]) => x.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        const [id, timer] = due;
        nowMs = timer.at;
        if (timer.every) timer.at += timer.every;
        else timers.delete(id);
        timer.fn();
      }
      nowMs = until;
    },
  };
}

/** An activity tracker (quiet period 1.5 s) on a manual clock that has just seen output, and the changes it announced. */
function trackerAfterOutput(t: { teardown(fn: () => void): void }) {
  const clock = manualClock();
  const changes: string[] = [];
  const tracker = new ActivityTracker({ clock, idleAfterMs: 1_500, onChange: (a) => changes.push(a) });
  t.teardown(() => tracker.dispose());
  tracker.output();
  return { clock, changes, tracker };
}

test('output makes a session busy', (t) => {
  const { tracker } = trackerAfterOutput(t);
  t.is(tracker.activity, 'busy');
});

test('a busy session is idle once the injected clock has passed the quiet period', (t) => {
  const { clock, changes, tracker } = trackerAfterOutput(t);
  clock.advance(1_000);
  tracker.output();
  clock.advance(1_000);
  t.is(tracker.activity, 'busy', 'quiet for 1 s only');
  clock.advance(600);
  t.is(tracker.activity, 'idle');
  t.deepEqual(changes, ['busy', 'idle']);
});

test('once the program says what it does, output no longer decides busy or idle', (t) => {
  const clock = manualClock();
  const tracker = new ActivityTracker({ clock, idleAfterMs: 1_500, onChange: () => {} });
  tracker.watchAgentState(() => ({ activity: 'waiting', waitingFor: 'permission', since: 1 }));
  clock.advance(1_000);
  t.is(tracker.activity, 'waiting');
  t.is(tracker.waitingFor, 'permission');
  tracker.output();
  clock.advance(5_000);
  t.is(tracker.activity, 'waiting');
  tracker.dispose();
});

test('session.send over the protocol with neither text, keys nor enter presses Enter, as ccx send ID does', async (t) => {
  const h = home();
  const r = await h.ccx(['start', '--json', '--name', 'rd', '--', 'sh', '-c', 'echo ready; read line; echo "got:[$line]"; exec sleep 600']);
  t.is(r.code, 0, r.stderr);
  const id = parseJson(r).id;
  await waitFor(async () => (await h.ccx(['logs', id])).stdout.includes('ready'), 30_000, 'ready');
  // The testkit's raw protocol client: the request carries only the target, which no CLI command sends.
  const client = await Client.connect(h.paths.socketPath);
  t.teardown(() => client.destroy());
  const sent = client.request<SendResult>('session.send', { target: 'rd' });
  await t.notThrowsAsync(sent);
  t.is((await sent).bytes, 1);
  await waitFor(async () => (await h.ccx(['logs', id])).stdout.includes('got:[]'), 30_000, 'the empty line read');
});
