import { api, el, exitLabel, statusLabel, type Approval, type Session } from './api.js';
import type { ConnectionBanner } from './connection-banner.js';
import { followEvents } from './live-events.js';
import { TerminalView } from './terminal-view.js';
import { ConversationView } from './conversation-view.js';

/**
 * `/session/:id`: the terminal, a prompt box, Abort and Interrupt, pending
 * approvals with Allow/Deny; for a structured agent session, the
 * conversation instead of the terminal (it has no terminal to attach to). `?readonly=1` watches without typing.
 */
export function showSession(app: HTMLElement, banner: ConnectionBanner, id: string): () => void {
  const readOnly = new URLSearchParams(location.search).get('readonly') === '1';
  const status = el('span', { id: 'session-status' }, '…');
  const exit = el('span', { id: 'session-exit', class: 'muted' });
  const title = el('strong', { id: 'session-title' }, id);
  const abort = el('button', { id: 'abort', title: 'Stop the program now (SIGINT, then SIGTERM, then SIGKILL); its log is kept' }, 'Abort');
  const interrupt = el('button', { id: 'interrupt', title: "Interrupt the program's current work (Ctrl-C, or its preset's key)" }, 'Interrupt');
  const message = el('span', { id: 'session-message', class: 'muted' });
  const approvals = el('div', { id: 'approvals' });
  const box = el('div', { class: 'terminal-box', id: 'terminal' });
  const textarea = el('textarea', { name: 'text', placeholder: 'prompt — sent as one turn (Enter pressed after it)' });
  const promptForm = el('form', { id: 'prompt-form' }, textarea, el('button', { type: 'submit' }, 'Send'));
  const panes = el('div', { class: 'panes' }, box);
  app.replaceChildren(el('div', { class: 'bar' }, title, status, exit, abort, interrupt, message), approvals, panes, promptForm);
  let conversation: ConversationView | undefined;

  const say = (text: string): void => void (message.textContent = text);
  const path = `/api/session/${encodeURIComponent(id)}`;
  const render = (s: Session): void => {
    title.textContent = s.name ? `${s.name} (${s.id})` : s.id;
    status.textContent = statusLabel(s);
    status.dataset.status = s.status;
    exit.textContent = exitLabel(s) ? `exit ${exitLabel(s)}` : '';
    abort.disabled = interrupt.disabled = s.status !== 'running';
  };
  const refresh = async (): Promise<void> => {
    const s = await api<Session>('GET', `${path}/status`).catch(() => undefined);
    if (!s) return;
    render(s);
    if (!conversation && !terminal) showBody(s);
    const pending = await api<Approval[]>('GET', `/api/approvals?session=${encodeURIComponent(s.id)}`).catch(() => []);
    // Rows are redrawn only when the pending set changes: a button must not be replaced under the user's click.
    const keys = pending.map((a) => `${a.session}/${a.request}`).join(' ');
    if (keys !== approvals.dataset.keys) {
      approvals.dataset.keys = keys;
      approvals.replaceChildren(...pending.map((a) => approvalRow(a)));
    }
  };
  const describeApproval = (a: Approval): string =>
    a.kind === 'tui-permission' ? 'The program asks for a permission' : `Claude wants to run ${a.tool ?? 'a tool'}: ${JSON.stringify(a.input ?? {}).slice(0, 200)}`;
  const approvalRow = (a: Approval): HTMLElement => {
    const answer = (approved: boolean) => () =>
      api('POST', `/api/session/${encodeURIComponent(a.session)}/approvals/${encodeURIComponent(a.request)}`, { approved })
        .then(() => say(approved ? 'allowed' : 'denied'))
        .catch((e: Error) => say(e.message))
        .finally(() => void refresh());
    const allow = el('button', { class: 'allow' }, 'Allow');
    const deny = el('button', { class: 'deny' }, 'Deny');
    allow.addEventListener('click', answer(true));
    deny.addEventListener('click', answer(false));
    return el('div', { class: 'approval', 'data-request': a.request }, el('span', {}, describeApproval(a)), allow, deny);
  };

  abort.addEventListener('click', () => {
    say('aborting…');
    api('POST', `${path}/cancel`, { graceMs: 500 })
      .then(() => say('aborted; its log is kept'))
      .catch((e: Error) => say(e.message))
      .finally(() => void refresh());
  });
  interrupt.addEventListener('click', () => void api('POST', `${path}/interrupt`, {}).then(() => say('interrupted'), (e: Error) => say(e.message)));
  promptForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textarea.value;
    if (!text) return;
    api('POST', `${path}/prompt`, { text })
      .then(() => ((textarea.value = ''), say('sent')))
      .catch((e: Error) => say(e.message));
  });

  let terminal: TerminalView | undefined;
  // A structured agent session has a conversation, not a terminal: which one is known from its first status.
  const showBody = (s: Session): void => {
    if (s.agent) {
      conversation = new ConversationView(path);
      panes.replaceChildren(conversation.node);
      return;
    }
    terminal = new TerminalView(box, id, !readOnly, banner, {
      onStart: (started) => render(started as Session),
      onEnd: () => void refresh(),
    });
    if (!readOnly) terminal.focus();
  };
  void refresh();
  const stopEvents = followEvents(
    `${path}/events`,
    banner,
    (event) => {
      conversation?.onEvent(event);
      void refresh();
    },
    () => {
      conversation?.refresh();
      void refresh();
    },
  );
  return () => {
    stopEvents();
    conversation?.dispose();
    terminal?.dispose();
  };
}
