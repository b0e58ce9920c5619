/** Programs ccx drives through a structured protocol instead of a terminal (`start --agent`). */
export const AGENT_KINDS = ['claude'] as const;
/** Claude Code's --permission-mode values a structured session may start with. */
export const AGENT_PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'bypassPermissions'] as const;
