/**
 * The readable transcript of a structured session: what `logs` prints,
 * `screen` shows the tail of, and `wait --until` matches against. One line
 * (or block) per thing that happened; the raw messages go to messages.jsonl.
 */

/** Tool inputs and results are shown cut to this many characters; the raw messages keep all of it. */
export const TRANSCRIPT_PREVIEW_CHARS = 500;

/** An `agent-message` event's payload: one thing the assistant said or did. */
export type AgentMessage =
  | { kind: 'text'; text: string }
  | { kind: 'tool-use'; toolUseId: string; tool: string; input: unknown }
  | { kind: 'tool-result'; toolUseId: string; isError: boolean; text: string };

function cut(text: string): string {
  return text.length > TRANSCRIPT_PREVIEW_CHARS ? `${text.slice(0, TRANSCRIPT_PREVIEW_CHARS)}…` : text;
}

function blocksOf(message: Record<string, unknown>): Array<Record<string, unknown>> {
  const inner = message.message as { content?: unknown } | undefined;
  const content = inner?.content;
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null) : [];
}

function resultText(block: Record<string, unknown>): string {
  const c = block.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

/** The agent messages in one assistant or (tool-result) user message of Claude Code. */
export function agentMessagesOf(message: Record<string, unknown>): AgentMessage[] {
  const out: AgentMessage[] = [];
  for (const b of blocksOf(message)) {
    if (message.type === 'assistant' && b.type === 'text' && typeof b.text === 'string') out.push({ kind: 'text', text: b.text });
    else if (message.type === 'assistant' && b.type === 'tool_use') out.push({ kind: 'tool-use', toolUseId: String(b.id ?? ''), tool: String(b.name ?? ''), input: b.input ?? {} });
    else if (message.type === 'user' && b.type === 'tool_result') out.push({ kind: 'tool-result', toolUseId: String(b.tool_use_id ?? ''), isError: b.is_error === true, text: resultText(b) });
  }
  return out;
}

export function renderAgentMessage(m: AgentMessage): string {
  switch (m.kind) {
    case 'text':
      return `${m.text}\n`;
    case 'tool-use':
      return `[tool ${m.tool}] ${cut(JSON.stringify(m.input))}\n`;
    case 'tool-result':
      return `[${m.isError ? 'tool error' : 'tool result'}] ${cut(m.text)}\n`;
  }
}

export function renderUserText(text: string): string {
  return `\n> ${text.replace(/\n/g, '\n  ')}\n`;
}
