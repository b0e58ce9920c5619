import { lstatSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentActivity } from './agent-state.js';
import { readOwnedFile } from './owned-file.js';

/**
 * What Claude Code's transcript says of its turns: when it last took a
 * prompt and when a turn last ended (epoch ms, Claude Code's own clock).
 */
export interface TranscriptTurns {
  promptAt: number | null;
  turnEndAt: number | null;
}

/** Where a transcript is first read from: a long resumed conversation is not read from its start. */
const START_TAIL_BYTES = 64 * 1024;
/** Read per poll at most; the rest waits for the next poll. */
const MAX_READ_BYTES = 1024 * 1024;
/** A line longer than this (a huge paste, a request snapshot) is skipped, not held. */
const MAX_LINE_BYTES = 1024 * 1024;
/** How often the projects folder may be listed while a transcript is not found where expected. */
const SCAN_EVERY_MS = 5_000;
/** Claude Code's session ids are UUIDs: anything else from the state file is not made into a path. */
const SESSION_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Claude Code 2.1 appends each event of a conversation to
 * `~/.claude/projects/<cwd with every non-alphanumeric as ->/<sessionId>.jsonl`:
 * a `user` line when it takes a prompt, a `system` line with subtype
 * `turn_duration` when a turn ends (not after an interrupt). Unlike its state
 * file, which a React effect rewrites only when a render shows a new status —
 * a quick turn on a loaded machine can go busy → idle within one render and
 * leave the file untouched — an appended line is never coalesced away.
 *
 * Reads only what was appended since the last poll, from a regular file
 * owned by `uid`, never through a link; nothing in it can crash the reader.
 */
export class ClaudeTranscript {
  private path: string | undefined;
  private sessionId: string | undefined;
  private offset = 0;
  private pending: Buffer | undefined;
  /** Inside a line too long to keep, or the first (cut) line of a tail: skipped up to its newline. */
  private skipping = false;
  private lastScanAt = -Infinity;
  /** The transcript was looked for and not there: once it is, all of it is new. */
  private wasMissing = false;
  private turnsSeen: TranscriptTurns = { promptAt: null, turnEndAt: null };

  constructor(
    private readonly home: string,
    private readonly uid: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The turns seen so far in the transcript of `sessionId` (its cwd says where it is), after reading what was appended. */
  read(sessionId: string, cwd: string | null): TranscriptTurns {
    if (!SESSION_ID.test(sessionId)) return this.turnsSeen;
    if (sessionId !== this.sessionId) this.follow(sessionId);
    this.path ??= this.find(sessionId, cwd);
    if (this.path) this.readAppended(this.path);
    else this.wasMissing = true;
    return this.turnsSeen;
  }

  /** A new conversation (/clear, a resume): what was seen of the last one does not count. */
  private follow(sessionId: string): void {
    this.sessionId = sessionId;
    this.path = undefined;
    this.offset = -1;
    this.pending = undefined;
    this.skipping = false;
    this.lastScanAt = -Infinity;
    this.wasMissing = false;
    this.turnsSeen = { promptAt: null, turnEndAt: null };
  }

  private find(sessionId: string, cwd: string | null): string | undefined {
    const projects = join(this.home, '.claude', 'projects');
    const name = `${sessionId}.jsonl`;
    if (cwd !== null) {
      const expected = join(projects, cwd.replace(/[^a-zA-Z0-9]/g, '-'), name);
      if (isRegularFile(expected)) return expected;
    }
    // A long cwd's folder name is cut and hashed, and Claude Code may put it elsewhere: look, now and then.
    if (this.now() - this.lastScanAt < SCAN_EVERY_MS) return undefined;
    this.lastScanAt = this.now();
    try {
      for (const dir of readdirSync(projects)) {
        const candidate = join(projects, dir, name);
        if (isRegularFile(candidate)) return candidate;
      }
    } catch {
      // No projects folder yet.
    }
    return undefined;
  }

  private readAppended(path: string): void {
    // Gone, or not readable this time: the next poll tries again.
    readOwnedFile(path, this.uid, (fd, size) => {
      // A transcript that was there before the first look (a resumed conversation) is read from near its end, its first
      // (cut) line skipped; one that appeared since, or was replaced by a shorter one, from its start.
      if (this.offset < 0 || size < this.offset) {
        this.offset = this.offset < 0 && !this.wasMissing ? Math.max(0, size - START_TAIL_BYTES) : 0;
        this.pending = undefined;
        this.skipping = this.offset > 0;
      }
      const length = Math.min(size - this.offset, MAX_READ_BYTES);
      if (length <= 0) return;
      const chunk = Buffer.allocUnsafe(length);
      const n = readSync(fd, chunk, 0, length, this.offset);
      this.offset += n;
      this.take(chunk.subarray(0, n));
    });
  }

  private take(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        this.pending = undefined;
        continue;
      }
      const line = this.pending ? Buffer.concat([this.pending, piece]) : piece;
      this.pending = undefined;
      noteTurns(line, this.turnsSeen);
    }
    if (start === chunk.length || this.skipping) return;
    const rest = chunk.subarray(start);
    const held = (this.pending?.length ?? 0) + rest.length;
    if (held > MAX_LINE_BYTES) {
      this.pending = undefined;
      this.skipping = true;
    } else this.pending = this.pending ? Buffer.concat([this.pending, rest]) : Buffer.from(rest);
  }
}

/** Notes in `turns` what one transcript line says: a prompt taken, or a turn ended, with its time. */
export function noteTurns(line: Buffer, turns: TranscriptTurns): void {
  // Most lines are neither (attachments, request snapshots): told apart without parsing them.
  const maybeEnd = line.includes('"turn_duration"');
  if (!maybeEnd && !line.includes('"type":"user"')) return;
  let entry: unknown;
  try {
    entry = JSON.parse(line.toString('utf8'));
  } catch {
    return;
  }
  if (!entry || typeof entry !== 'object') return;
  const e = entry as { type?: unknown; subtype?: unknown; isSidechain?: unknown; isMeta?: unknown; timestamp?: unknown; message?: { content?: unknown } };
  // A subagent's lines are not the conversation's turns.
  if (e.isSidechain === true || typeof e.timestamp !== 'string') return;
  const at = Date.parse(e.timestamp);
  if (!Number.isFinite(at)) return;
  if (e.type === 'system' && e.subtype === 'turn_duration') turns.turnEndAt = Math.max(turns.turnEndAt ?? at, at);
  else if (e.type === 'user' && e.isMeta !== true && !isToolResult(e.message?.content)) turns.promptAt = Math.max(turns.promptAt ?? at, at);
}

/** A tool's result goes back to the model as a user message: part of a turn, not a prompt. */
function isToolResult(content: unknown): boolean {
  return Array.isArray(content) && content.some((block) => block && typeof block === 'object' && (block as { type?: unknown }).type === 'tool_result');
}

/**
 * The state file's account, corrected by the transcript's: a turn that ended
 * after the state file last changed (and after the last prompt) is idle since
 * then, whatever the state file still says. A state file without times is
 * left as it is: there is nothing to order it by.
 */
export function withTranscriptTurns(state: AgentActivity, turns: TranscriptTurns): AgentActivity {
  const withPrompt: AgentActivity = { ...state, promptAt: turns.promptAt };
  const end = turns.turnEndAt;
  if (state.since === null || end === null || end <= state.since) return withPrompt;
  if (turns.promptAt !== null && turns.promptAt > end) return withPrompt;
  return { activity: 'idle', waitingFor: null, since: end, promptAt: turns.promptAt };
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
