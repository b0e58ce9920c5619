import type { ApprovalInfo, ApproveResult, SessionInfo } from '@ccx/shared';
import { callDaemon, type ConnectDaemon } from './daemon-link.js';
import { HttpError } from './http-io.js';

/**
 * Every approval the gateway shows or answers goes through here. Two sources:
 * - a PTY session whose program (Claude Code's TUI) shows a permission
 *   dialog has one pending request, id `permission`, answered with
 *   `session.approve` (the dialog's keys, checked until it closes);
 * - a structured agent session (`start --agent claude`) keeps its pending
 *   requests in the daemon (`approvals.list`), each with its own id, answered
 *   with `session.approve` and that `requestId` (first answer wins).
 */
export const TUI_PERMISSION_REQUEST = 'permission';

export interface PendingApproval {
  session: string;
  name: string | null;
  /** Id to answer it with: POST /api/session/:session/approvals/:request. */
  request: string;
  kind: 'tui-permission' | 'agent-tool';
  /** Since when it waits (the session's last activity, or when the agent asked). */
  since: string | null;
  /** Agent sessions: the tool and the input Claude Code asks to run it with. */
  tool?: string;
  input?: unknown;
}

export interface ApprovalAnswer {
  approved: boolean;
  /** A structured agent's tool input to use instead of the requested one (agent sessions only). */
  input?: unknown;
  /** With a denial: what to do instead, sent as the next prompt. */
  message?: string;
}

export function pendingOf(session: SessionInfo): PendingApproval[] {
  // An agent session waits for permission too, but its requests come from approvals.list, each with its own id.
  if (session.agent) return [];
  if (session.status !== 'running' || session.activity !== 'waiting' || session.waitingFor !== 'permission') return [];
  return [{ session: session.id, name: session.name, request: TUI_PERMISSION_REQUEST, kind: 'tui-permission', since: session.lastActivityAt }];
}

function agentPending(a: ApprovalInfo, name: string | null): PendingApproval {
  return { session: a.sessionId, name, request: a.requestId, kind: 'agent-tool', since: a.requestedAt, tool: a.tool, input: a.input };
}

export async function listApprovals(connect: ConnectDaemon, sessionRef?: string): Promise<PendingApproval[]> {
  const sessions = sessionRef !== undefined ? [await callDaemon(connect, 'session.get', { target: sessionRef })] : await callDaemon(connect, 'session.list', {});
  const names = new Map(sessions.map((s) => [s.id, s.name]));
  const agents = sessions.some((s) => s.agent) ? (await callDaemon(connect, 'approvals.list', sessionRef !== undefined ? { target: sessionRef } : {})).approvals : [];
  return [...sessions.flatMap(pendingOf), ...agents.map((a) => agentPending(a, names.get(a.sessionId) ?? null))];
}

export async function answerApproval(connect: ConnectDaemon, sessionRef: string, request: string, answer: ApprovalAnswer): Promise<ApproveResult> {
  if (request !== TUI_PERMISSION_REQUEST) {
    const session = await callDaemon(connect, 'session.get', { target: sessionRef });
    if (answer.input !== undefined && (typeof answer.input !== 'object' || answer.input === null || Array.isArray(answer.input))) {
      throw new HttpError(400, 'E_USAGE', 'input must be a JSON object: the tool input to run instead of the requested one');
    }
    const input = answer.input as Record<string, unknown> | undefined;
    if (!session.agent) throw new HttpError(404, 'E_NOT_FOUND', `no pending approval request ${request} in session ${sessionRef}`, `see what is pending: GET /api/approvals`);
    return callDaemon(connect, 'session.approve', {
      target: session.id,
      approved: answer.approved,
      requestId: request,
      by: 'ccx web',
      ...(input !== undefined ? { input } : {}),
      ...(answer.message !== undefined ? { message: answer.message } : {}),
    });
  }
  if (answer.input !== undefined) throw new HttpError(400, 'E_USAGE', 'input applies to agent sessions only: a terminal dialog can only be allowed or denied');
  return callDaemon(connect, 'session.approve', { target: sessionRef, approved: answer.approved, ...(answer.message !== undefined ? { message: answer.message } : {}) });
}
