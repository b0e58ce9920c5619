import type { ApproveResult, SessionInfo } from '@ccx/shared';
import { callDaemon, type ConnectDaemon } from './daemon-link.js';
import { HttpError } from './http-io.js';

/**
 * Every approval the gateway shows or answers goes through here, so that
 * structured agent sessions (their own pending requests, with ids) join by
 * adding their source to `listApprovals` and their method to `answerApproval`.
 *
 * Today: a PTY session whose program (Claude Code's TUI) shows a permission
 * dialog has one pending request, id `permission`, answered with
 * `session.approve` (the dialog's keys, checked until it closes).
 */
export const TUI_PERMISSION_REQUEST = 'permission';

export interface PendingApproval {
  session: string;
  name: string | null;
  /** Id to answer it with: POST /api/session/:session/approvals/:request. */
  request: string;
  kind: 'tui-permission';
  /** Since when it waits (the session's last activity). */
  since: string | null;
}

export interface ApprovalAnswer {
  approved: boolean;
  /** A structured agent's tool input to use instead of the requested one (agent sessions only). */
  input?: unknown;
  /** With a denial: what to do instead, sent as the next prompt. */
  message?: string;
}

export function pendingOf(session: SessionInfo): PendingApproval[] {
  if (session.status !== 'running' || session.activity !== 'waiting' || session.waitingFor !== 'permission') return [];
  return [{ session: session.id, name: session.name, request: TUI_PERMISSION_REQUEST, kind: 'tui-permission', since: session.lastActivityAt }];
}

export async function listApprovals(connect: ConnectDaemon, sessionRef?: string): Promise<PendingApproval[]> {
  if (sessionRef !== undefined) return pendingOf(await callDaemon<SessionInfo>(connect, 'session.get', { target: sessionRef }));
  const sessions = await callDaemon<SessionInfo[]>(connect, 'session.list', {});
  return sessions.flatMap(pendingOf);
}

export async function answerApproval(connect: ConnectDaemon, sessionRef: string, request: string, answer: ApprovalAnswer): Promise<ApproveResult> {
  if (request !== TUI_PERMISSION_REQUEST) {
    throw new HttpError(404, 'E_NOT_FOUND', `no pending approval request ${request} in session ${sessionRef}`, `see what is pending: GET /api/approvals`);
  }
  if (answer.input !== undefined) throw new HttpError(400, 'E_USAGE', 'input applies to agent sessions only: a terminal dialog can only be allowed or denied');
  return callDaemon<ApproveResult>(connect, 'session.approve', { target: sessionRef, approved: answer.approved, ...(answer.message !== undefined ? { message: answer.message } : {}) });
}
