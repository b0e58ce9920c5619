import { randomUUID } from 'node:crypto';
import type { SessionBackend } from '../session/backend.js';

/**
 * A client of Claude Code's stream-json control protocol (what
 * @anthropic-ai/claude-agent-sdk speaks, read from its sdk.mjs): one JSON
 * object per line each way on the child's stdin/stdout.
 *   us → claude: {type:'user', message}, {type:'control_request', request_id,
 *                 request:{subtype:'initialize'|'interrupt'}},
 *                {type:'control_response', response:{subtype:'success', request_id, response}}
 *   claude → us: system/init, assistant, user (tool results), result,
 *                {type:'control_request', request:{subtype:'can_use_tool', tool_name, input, permission_suggestions}},
 *                {type:'control_response'} to ours.
 */

/** A line longer than this is not a message Claude Code sends: it is dropped, the session goes on. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;
/** How long Claude Code gets to answer one of our control requests. */
export const CONTROL_TIMEOUT_MS = 30_000;

export interface PermissionRequest {
  requestId: string;
  tool: string;
  input: Record<string, unknown>;
  suggestions: unknown[];
}

/** What `can_use_tool` is answered with (the SDK's PermissionResult). */
export type PermissionAnswer = { behavior: 'allow'; updatedInput: Record<string, unknown> } | { behavior: 'deny'; message: string };

export interface StreamJsonHandlers {
  /** Every message that is not part of the control protocol (system, assistant, user, result, …). */
  onMessage(message: Record<string, unknown>): void;
  onPermission(request: PermissionRequest): void;
  /** A line that is not JSON, or too long: reported, never fatal. */
  onGarbage(what: string): void;
}

/** What the client talks through: Claude Code's stdin and stdout (stream-json-backend.ts). */
export type StreamJsonPipe = Pick<SessionBackend, 'write' | 'onData' | 'onExit'> & { endInput(): void };

export class StreamJsonClient {
  private readonly pending = new Map<string, { resolve: (r: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private skipping = false;

  constructor(
    private readonly pipe: StreamJsonPipe,
    private readonly handlers: StreamJsonHandlers,
  ) {
    pipe.onData((chunk) => this.take(chunk));
    pipe.onExit(() => {
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error('Claude Code exited'));
      }
      this.pending.clear();
    });
  }

  /** The first control request: Claude Code then answers permission prompts through us. */
  initialize(): Promise<unknown> {
    return this.request({ subtype: 'initialize' });
  }

  /** Aborts the turn under way; Claude Code stays and takes the next message. */
  interrupt(): Promise<unknown> {
    return this.request({ subtype: 'interrupt' });
  }

  sendUser(text: string): void {
    this.write({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' });
  }

  answerPermission(requestId: string, answer: PermissionAnswer): void {
    this.write({ type: 'control_response', response: { subtype: 'success', request_id: requestId, response: answer } });
  }

  /** Closes Claude Code's input: it ends once its turn is done. */
  endInput(): void {
    this.pipe.endInput();
  }

  private request(request: Record<string, unknown>): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Claude Code did not answer ${String(request.subtype)} within ${CONTROL_TIMEOUT_MS / 1000} s`));
      }, CONTROL_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.write({ type: 'control_request', request_id: id, request });
    });
  }

  private write(message: unknown): void {
    this.pipe.write(JSON.stringify(message) + '\n');
  }

  private take(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const line = this.partial.length ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.partialBytes = 0;
      this.handleLine(line.toString('utf8'));
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0 || this.skipping) return;
    this.partialBytes += rest.length;
    if (this.partialBytes > MAX_LINE_BYTES) {
      this.partial = [];
      this.partialBytes = 0;
      this.skipping = true;
      this.handlers.onGarbage(`a line longer than ${MAX_LINE_BYTES} bytes`);
      return;
    }
    this.partial.push(Buffer.from(rest));
  }

  private handleLine(line: string): void {
    if (!line.trim()) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.handlers.onGarbage(`not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return this.handlers.onGarbage(`not an object: ${line.slice(0, 200)}`);
    const m = message as Record<string, unknown>;
    if (m.type === 'control_response') return this.settle(m.response);
    if (m.type === 'control_request') return this.controlRequest(m);
    if (m.type === 'control_cancel_request') return;
    this.handlers.onMessage(m);
  }

  private settle(response: unknown): void {
    if (typeof response !== 'object' || response === null) return;
    const r = response as Record<string, unknown>;
    const waiting = typeof r.request_id === 'string' ? this.pending.get(r.request_id) : undefined;
    if (!waiting) return;
    this.pending.delete(r.request_id as string);
    clearTimeout(waiting.timer);
    if (r.subtype === 'error') waiting.reject(new Error(String(r.error ?? 'control request failed')));
    else waiting.resolve(r.response);
  }

  private controlRequest(m: Record<string, unknown>): void {
    const id = typeof m.request_id === 'string' ? m.request_id : undefined;
    const req = (typeof m.request === 'object' && m.request !== null ? m.request : {}) as Record<string, unknown>;
    if (!id) return;
    if (req.subtype === 'can_use_tool') {
      const input = typeof req.input === 'object' && req.input !== null && !Array.isArray(req.input) ? (req.input as Record<string, unknown>) : {};
      this.handlers.onPermission({
        requestId: id,
        tool: typeof req.tool_name === 'string' ? req.tool_name : 'unknown',
        input,
        suggestions: Array.isArray(req.permission_suggestions) ? req.permission_suggestions : [],
      });
      return;
    }
    // Hooks, MCP and the like are not offered by ccx: say so, so Claude Code does not wait for ever.
    this.write({ type: 'control_response', response: { subtype: 'error', request_id: id, error: `ccx does not handle ${String(req.subtype)}` } });
  }
}
