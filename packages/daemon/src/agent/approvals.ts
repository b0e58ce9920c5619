import { CcxError, type ApprovalInfo } from '@ccx/shared';
import type { PermissionAnswer, PermissionRequest } from './stream-json-client.js';

/** How many answered requests a session remembers, to tell a late answerer who was first. */
const ANSWERED_KEPT = 256;

export interface Answer {
  approved: boolean;
  by: string;
  input?: Record<string, unknown>;
  message?: string;
}

interface Pending extends ApprovalInfo {
  timer: NodeJS.Timeout | undefined;
}

export interface ApprovalsDeps {
  sessionId: string;
  now: () => Date;
  /** Unanswered requests are denied after this long; null: they wait for ever. */
  timeoutMs: number | null;
  /** Sends the answer to Claude Code. */
  reply(requestId: string, answer: PermissionAnswer): void;
  onRequested(info: ApprovalInfo): void;
  onAnswered(requestId: string, answer: Answer): void;
  onExpired(requestId: string): void;
}

/**
 * The permission requests of one structured session: kept until answered, by
 * whoever answers first (CLI, web, timeout); a later answer is refused with
 * the name of the first.
 */
export class Approvals {
  private readonly pending = new Map<string, Pending>();
  private readonly answered = new Map<string, { by: string; approved: boolean }>();

  constructor(private readonly deps: ApprovalsDeps) {}

  get count(): number {
    return this.pending.size;
  }

  list(): ApprovalInfo[] {
    return [...this.pending.values()].map(({ timer: _timer, ...info }) => info);
  }

  request(req: PermissionRequest): void {
    const info: ApprovalInfo = { sessionId: this.deps.sessionId, requestId: req.requestId, tool: req.tool, input: req.input, suggestions: req.suggestions, requestedAt: this.deps.now().toISOString() };
    const timer = this.deps.timeoutMs === null ? undefined : setTimeout(() => this.expire(req.requestId), this.deps.timeoutMs);
    timer?.unref();
    this.pending.set(req.requestId, { ...info, timer });
    this.deps.onRequested(info);
  }

  /** Answers `requestId` (or the only pending request); throws if it was answered already or is unknown. */
  answer(requestId: string | undefined, answer: Answer): string {
    const id = requestId ?? this.onlyPending();
    const pending = this.pending.get(id);
    if (!pending) {
      const first = this.answered.get(id);
      if (first) throw new CcxError('E_NOT_FOUND', `request ${id} is no longer pending: it was already ${first.approved ? 'approved' : 'denied'} by ${first.by}`, 'the first answer wins; see what is still pending: ccx approvals');
      throw new CcxError('E_NOT_FOUND', `no pending request ${id} in session ${this.deps.sessionId}`, `see the pending ones: ccx approvals ${this.deps.sessionId}`);
    }
    this.settle(pending, answer);
    this.deps.reply(id, answer.approved ? { behavior: 'allow', updatedInput: answer.input ?? pending.input } : { behavior: 'deny', message: answer.message ?? `denied by ${answer.by}` });
    this.deps.onAnswered(id, answer);
    return id;
  }

  /** The session ended or its turn was interrupted: nothing can answer these any more. */
  clear(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private onlyPending(): string {
    if (this.pending.size === 1) return [...this.pending.keys()][0]!;
    if (this.pending.size === 0) {
      const last = [...this.answered.entries()].pop();
      const told = last ? ` (the last one, ${last[0]}, was ${last[1].approved ? 'approved' : 'denied'} by ${last[1].by})` : '';
      throw new CcxError('E_NOT_FOUND', `session ${this.deps.sessionId} has no pending approval request${told}`, `ccx list shows STATE waiting:permission while it asks; ccx approvals ${this.deps.sessionId}`);
    }
    throw new CcxError('E_AMBIGUOUS', `session ${this.deps.sessionId} has ${this.pending.size} pending requests: ${[...this.pending.keys()].join(', ')}`, `name one: ccx approve ${this.deps.sessionId} REQUEST_ID`, { candidates: [...this.pending.keys()] });
  }

  private settle(pending: Pending, answer: Pick<Answer, 'by' | 'approved'>): void {
    clearTimeout(pending.timer);
    this.pending.delete(pending.requestId);
    this.answered.set(pending.requestId, { by: answer.by, approved: answer.approved });
    if (this.answered.size > ANSWERED_KEPT) this.answered.delete(this.answered.keys().next().value!);
  }

  private expire(requestId: string): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.settle(pending, { by: 'the approval timeout', approved: false });
    this.deps.reply(requestId, { behavior: 'deny', message: 'nobody answered the permission request in time (ccx --approval-timeout)' });
    this.deps.onExpired(requestId);
  }
}
