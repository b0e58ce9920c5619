import { api, el } from './api.js';

/** One entry of GET /api/session/:id/messages (packages/web/src/conversation.ts). */
export interface ConversationEntry {
  kind: 'user' | 'text' | 'tool-use' | 'tool-result' | 'result';
  text?: string;
  tool?: string;
  input?: unknown;
  toolUseId?: string;
  isError?: boolean;
}

/** Events after which a structured session's conversation has something new. */
const CONVERSATION_EVENTS = new Set(['agent-message', 'input-sent', 'turn-completed', 'approval-request', 'approval-confirmed', 'approval-expired', 'session-exited']);
/** Events come in bursts (a streamed answer): one fetch for each burst. */
const REFRESH_DEBOUNCE_MS = 100;

/**
 * A structured agent session's conversation beside its terminal: the user's
 * messages, the assistant's text, tool calls with their input and their
 * results. It is fetched whole from the gateway when the page opens and again
 * after each event that adds to it, so a reconnect can neither lose nor
 * double an entry.
 */
export class ConversationView {
  readonly node = el('div', { id: 'conversation', class: 'conversation' });
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly path: string) {
    this.refresh();
  }

  /** Called with each event of the session's stream. */
  onEvent(event: { type: string }): void {
    if (CONVERSATION_EVENTS.has(event.type)) this.refresh();
  }

  refresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      const got = await api<{ conversation: ConversationEntry[] }>('GET', `${this.path}/messages`).catch(() => undefined);
      if (!got || this.disposed) return;
      const atBottom = this.node.scrollTop + this.node.clientHeight >= this.node.scrollHeight - 4;
      this.node.replaceChildren(...got.conversation.map(entryNode));
      if (atBottom) this.node.scrollTop = this.node.scrollHeight;
    }, REFRESH_DEBOUNCE_MS);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
  }
}

function entryNode(e: ConversationEntry): HTMLElement {
  const attrs = { class: `entry entry-${e.kind}${e.isError ? ' entry-error' : ''}`, 'data-kind': e.kind };
  switch (e.kind) {
    case 'user':
      return el('div', attrs, el('span', { class: 'who' }, 'you'), el('div', { class: 'body' }, e.text ?? ''));
    case 'text':
      return el('div', attrs, el('span', { class: 'who' }, 'claude'), el('div', { class: 'body' }, e.text ?? ''));
    case 'tool-use':
      return el('div', attrs, el('span', { class: 'who' }, `tool ${e.tool ?? ''}`), el('pre', { class: 'body' }, JSON.stringify(e.input ?? {}, null, 2)));
    case 'tool-result':
      return el('div', attrs, el('span', { class: 'who' }, e.isError ? 'tool error' : 'tool result'), el('pre', { class: 'body' }, e.text || '(no output)'));
    case 'result':
      return el('div', attrs, el('span', { class: 'who muted' }, e.isError ? 'turn failed' : 'turn done'));
  }
}
