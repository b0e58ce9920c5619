/**
 * Unit tests of packages/daemon/src/session/claude-transcript.ts: the turns
 * Claude Code's transcript tells of, read from a real file as it grows, and
 * how they correct its state file. The lines are the shapes Claude Code
 * 2.1.332 writes (seen in a real session's transcript), cut to what matters.
 */
import test from 'ava';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idleSince } from '../../packages/daemon/src/session/agent-state.js';
import { ClaudeTranscript, noteTurns, withTranscriptTurns, type TranscriptTurns } from '../../packages/daemon/src/session/claude-transcript.js';

const SESSION = '18d13e30-72c7-4f1a-a47c-b2d70a890b07';
const CWD = '/tmp/rep-dusrpp/work';
const uid = process.getuid?.() ?? -1;

const at = (ms: number) => new Date(ms).toISOString();
const prompt = (ms: number, text = 'say hi') =>
  JSON.stringify({ parentUuid: null, isSidechain: false, promptId: 'p', type: 'user', message: { role: 'user', content: text }, timestamp: at(ms), origin: { kind: 'human' } }) + '\n';
const toolResult = (ms: number) =>
  JSON.stringify({ isSidechain: false, type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'ok' }] }, timestamp: at(ms) }) + '\n';
const turnEnd = (ms: number, sidechain = false) => JSON.stringify({ isSidechain: sidechain, type: 'system', subtype: 'turn_duration', durationMs: 289, timestamp: at(ms), isMeta: false }) + '\n';
const attachment = (ms: number, bytes = 100) => JSON.stringify({ type: 'attachment', attachment: { type: 'skill_listing', content: 'x'.repeat(bytes) }, timestamp: at(ms) }) + '\n';

function turnsOf(lines: string): TranscriptTurns {
  const turns: TranscriptTurns = { promptAt: null, turnEndAt: null };
  for (const line of lines.split('\n').filter(Boolean)) noteTurns(Buffer.from(line), turns);
  return turns;
}

/** A HOME with the transcript where Claude Code puts it for CWD; `write` appends to it. */
function transcriptHome(t: { teardown: (fn: () => void) => void }) {
  const home = mkdtempSync(join(tmpdir(), 'ccx-transcript-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const dir = join(home, '.claude', 'projects', '-tmp-rep-dusrpp-work');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${SESSION}.jsonl`);
  writeFileSync(file, '');
  return { home, dir, file, write: (text: string) => appendFileSync(file, text) };
}

test('a prompt line and a turn_duration line are a prompt taken and a turn ended, at their timestamps', (t) => {
  t.deepEqual(turnsOf(prompt(1000) + attachment(1001) + turnEnd(1300)), { promptAt: 1000, turnEndAt: 1300 });
});

test("a tool's result, a meta line and a subagent's turn are not the conversation's prompts or turn ends", (t) => {
  const meta = JSON.stringify({ isSidechain: false, isMeta: true, type: 'user', message: { role: 'user', content: 'caveat' }, timestamp: at(5000) });
  t.deepEqual(turnsOf(prompt(1000) + toolResult(2000) + meta + '\n' + turnEnd(3000, true)), { promptAt: 1000, turnEndAt: null });
});

test('lines that are not JSON, or carry no valid timestamp, are passed over', (t) => {
  const noTime = JSON.stringify({ type: 'system', subtype: 'turn_duration', timestamp: 'yesterday' });
  t.deepEqual(turnsOf('{"type":"user" not json\n' + noTime + '\n' + '"turn_duration"\n'), { promptAt: null, turnEndAt: null });
});

test('a turn that ended after the state file last changed is idle since its end, whatever the file still says', (t) => {
  const end = { promptAt: 1000, turnEndAt: 1300 };
  t.deepEqual(withTranscriptTurns({ activity: 'idle', waitingFor: null, since: 900 }, end), { activity: 'idle', waitingFor: null, since: 1300, promptAt: 1000 });
  t.deepEqual(withTranscriptTurns({ activity: 'busy', waitingFor: null, since: 1000 }, end), { activity: 'idle', waitingFor: null, since: 1300, promptAt: 1000 });
  t.deepEqual(withTranscriptTurns({ activity: 'waiting', waitingFor: 'permission', since: 1100 }, end), { activity: 'idle', waitingFor: null, since: 1300, promptAt: 1000 });
});

test('the state file decides when it changed after the last turn end, or a prompt came after that end', (t) => {
  t.deepEqual(withTranscriptTurns({ activity: 'busy', waitingFor: null, since: 1400 }, { promptAt: 1000, turnEndAt: 1300 }), { activity: 'busy', waitingFor: null, since: 1400, promptAt: 1000 });
  t.deepEqual(withTranscriptTurns({ activity: 'idle', waitingFor: null, since: 900 }, { promptAt: 1500, turnEndAt: 1300 }), { activity: 'idle', waitingFor: null, since: 900, promptAt: 1500 });
  // Without times there is nothing to order the two accounts by.
  t.deepEqual(withTranscriptTurns({ activity: 'busy', waitingFor: null, since: null }, { promptAt: 1000, turnEndAt: 1300 }), { activity: 'busy', waitingFor: null, since: null, promptAt: 1000 });
});

test('an idle set after the send ends its turn only once a prompt was taken since (Claude Code\'s start-up idle can come late)', (t) => {
  const sent = 1000;
  // Start-up: idle written after the prompt was typed, no prompt in the transcript yet.
  t.false(idleSince({ activity: 'idle', waitingFor: null, since: 1200, promptAt: null }, sent));
  // The prompt from an earlier turn does not count.
  t.false(idleSince({ activity: 'idle', waitingFor: null, since: 1200, promptAt: 900 }, sent));
  t.true(idleSince({ activity: 'idle', waitingFor: null, since: 1200, promptAt: 1100 }, sent));
  // An idle from before the send is never this turn's end.
  t.false(idleSince({ activity: 'idle', waitingFor: null, since: 950, promptAt: 1100 }, sent));
  t.false(idleSince({ activity: 'busy', waitingFor: null, since: 1200, promptAt: 1100 }, sent));
  // A source that says nothing of prompts (a structured session) is taken at its word.
  t.true(idleSince({ activity: 'idle', waitingFor: null, since: 1200 }, sent));
});

test('the transcript is read as it grows: each read sees what was appended, a line cut across two writes included', (t) => {
  const { home, write } = transcriptHome(t);
  const reader = new ClaudeTranscript(home, uid);
  t.deepEqual(reader.read(SESSION, CWD), { promptAt: null, turnEndAt: null });
  write(prompt(1000));
  t.deepEqual(reader.read(SESSION, CWD), { promptAt: 1000, turnEndAt: null });
  const end = turnEnd(1300);
  write(end.slice(0, 20));
  t.deepEqual(reader.read(SESSION, CWD), { promptAt: 1000, turnEndAt: null });
  write(end.slice(20));
  t.deepEqual(reader.read(SESSION, CWD), { promptAt: 1000, turnEndAt: 1300 });
});

test('a long transcript found late is read from near its end', (t) => {
  const { home, write } = transcriptHome(t);
  write(prompt(500) + attachment(600, 200_000) + prompt(1000));
  // The first prompt lies before the last 64 KiB: only the later one is seen.
  t.deepEqual(new ClaudeTranscript(home, uid).read(SESSION, CWD), { promptAt: 1000, turnEndAt: null });
});

test('a transcript that appeared after the first look is read from its start, however long', (t) => {
  const { home, file } = transcriptHome(t);
  rmSync(file);
  const reader = new ClaudeTranscript(home, uid);
  t.deepEqual(reader.read(SESSION, CWD), { promptAt: null, turnEndAt: null });
  writeFileSync(file, prompt(1000) + attachment(1100, 200_000));
  t.deepEqual(reader.read(SESSION, CWD), { promptAt: 1000, turnEndAt: null });
});

test('a line too long to hold is skipped, and the lines after it are read', (t) => {
  const { home, write } = transcriptHome(t);
  const reader = new ClaudeTranscript(home, uid);
  reader.read(SESSION, CWD);
  write(prompt(1000) + attachment(1100, 3 * 1024 * 1024) + turnEnd(1300));
  // 1 MiB per read: the long line takes a few.
  for (let i = 0; i < 5; i++) reader.read(SESSION, CWD);
  t.deepEqual(reader.read(SESSION, CWD), { promptAt: 1000, turnEndAt: 1300 });
});

test('a new conversation id starts afresh: the last conversation\'s turns do not count', (t) => {
  const { home, dir, write } = transcriptHome(t);
  write(prompt(1000) + turnEnd(1300));
  const reader = new ClaudeTranscript(home, uid);
  t.deepEqual(reader.read(SESSION, CWD), { promptAt: 1000, turnEndAt: 1300 });
  const next = 'a0000000-0000-4000-8000-000000000000';
  writeFileSync(join(dir, `${next}.jsonl`), prompt(2000));
  t.deepEqual(reader.read(next, CWD), { promptAt: 2000, turnEndAt: null });
});

test('a transcript reached through a link is not read', (t) => {
  const { home, dir } = transcriptHome(t);
  const elsewhere = join(home, 'elsewhere.jsonl');
  writeFileSync(elsewhere, prompt(1000) + turnEnd(1300));
  const linked = 'b0000000-0000-4000-8000-000000000000';
  symlinkSync(elsewhere, join(dir, `${linked}.jsonl`));
  t.deepEqual(new ClaudeTranscript(home, uid).read(linked, CWD), { promptAt: null, turnEndAt: null });
});

test('a session id from the state file that is not an id is not made into a path', (t) => {
  const { home } = transcriptHome(t);
  writeFileSync(join(home, '.claude', 'projects', 'x.jsonl'), prompt(1000));
  t.deepEqual(new ClaudeTranscript(home, uid).read('../x', CWD), { promptAt: null, turnEndAt: null });
});

test('a transcript whose cwd folder is not the expected one is found by looking through the projects folder', (t) => {
  const { home, write } = transcriptHome(t);
  write(prompt(1000));
  t.deepEqual(new ClaudeTranscript(home, uid).read(SESSION, '/a/cwd/whose/folder/name/was/cut'), { promptAt: 1000, turnEndAt: null });
});
