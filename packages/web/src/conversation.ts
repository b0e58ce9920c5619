/**
 * A structured agent session's conversation as the page shows it, made from
 * the daemon's raw stream-json messages (`session.messages`): the user's
 * messages, the assistant's text, its tool calls with their input, the tool
 * results, and each turn's final result. Anything else (system, control,
 * stream events) is left out; the raw messages stay in the answer.
 */
export type ConversationEntry =
  | { kind: 'user'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'tool-use'; toolUseId: string; tool: string; input: unknown }
  | { kind: 'tool-result'; toolUseId: string; isError: boolean; text: string }
  | { kind: 'result'; text: string; isError: boolean };

type Block = Record<string, unknown>;

function blocksOf(message: Record<string, unknown>): Block[] {
  const content = (message.message as { content?: unknown } | undefined)?.content;
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter((b): b is Block => typeof b === 'object' && b !== null) : [];
}

function resultText(block: Block): string {
  const c = block.content;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return '';
  return c.map((p) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
}

function entriesOf(message: Record<string, unknown>): ConversationEntry[] {
  if (message.type === 'result') return [{ kind: 'result', text: typeof message.result === 'string' ? message.result : '', isError: message.is_error === true }];
  const out: ConversationEntry[] = [];
  for (const b of blocksOf(message)) {
    if (message.type === 'assistant' && b.type === 'text' && typeof b.text === 'string') out.push({ kind: 'text', text: b.text });
    else if (message.type === 'assistant' && b.type === 'tool_use') out.push({ kind: 'tool-use', toolUseId: String(b.id ?? ''), tool: String(b.name ?? ''), input: b.input ?? {} });
    else if (message.type === 'user' && b.type === 'tool_result') out.push({ kind: 'tool-result', toolUseId: String(b.tool_use_id ?? ''), isError: b.is_error === true, text: resultText(b) });
    else if (message.type === 'user' && b.type === 'text' && typeof b.text === 'string') out.push({ kind: 'user', text: b.text });
  }
  return out;
}

export function conversationOf(messages: readonly unknown[]): ConversationEntry[] {
  return messages.flatMap((m) => (typeof m === 'object' && m !== null && !Array.isArray(m) ? entriesOf(m as Record<string, unknown>) : []));
}
