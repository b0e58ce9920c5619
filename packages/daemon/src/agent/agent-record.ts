import type { AGENT_KINDS, AGENT_PERMISSION_MODES } from '@ccx/shared';

/** What a structured agent session (`start --agent`) keeps in its meta.json beside the SessionRecord's fields. */
export interface AgentRecord {
  kind: (typeof AGENT_KINDS)[number];
  model: string | null;
  permissionMode: (typeof AGENT_PERMISSION_MODES)[number] | null;
  approvalTimeoutMs: number | null;
  /** Claude Code's own session id (its system/init message): what `ccx resume` passes to `claude --resume`. */
  claudeSessionId: string | null;
  /** Sum over the turns of this session's Claude processes (each result's total_cost_usd is per process). */
  costUsd: number;
  turns: number;
}

/** A stored agent record is trusted only if it has this shape (nothing on disk may crash the daemon). */
export function isAgentRecord(v: unknown): v is AgentRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    r.kind === 'claude' &&
    (r.model === null || typeof r.model === 'string') &&
    (r.permissionMode === null || typeof r.permissionMode === 'string') &&
    (r.approvalTimeoutMs === null || typeof r.approvalTimeoutMs === 'number') &&
    (r.claudeSessionId === null || typeof r.claudeSessionId === 'string') &&
    typeof r.costUsd === 'number' &&
    typeof r.turns === 'number'
  );
}
