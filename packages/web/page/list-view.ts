import { api, el, exitLabel, statusLabel, type Session } from './api.js';
import type { ConnectionBanner } from './connection-banner.js';
import { followEvents } from './live-events.js';

/** `/sessions`: every session, live (each event refreshes the list), and the start form. */
export function showList(app: HTMLElement, banner: ConnectionBanner, navigate: (path: string) => void): () => void {
  const tbody = el('tbody');
  const table = el('table', { id: 'sessions-table' }, el('thead', {}, el('tr', {}, ...['id', 'name', 'command', 'status', 'exit', 'created'].map((h) => el('th', {}, h)))), tbody);
  const error = el('div', { id: 'start-error', class: 'muted' });
  const form = el(
    'form',
    { id: 'start-form' },
    el('input', { name: 'command', placeholder: 'command, e.g. bash', value: 'bash', required: '' }),
    el('input', { name: 'name', placeholder: 'name (optional)' }),
    el('input', { name: 'preset', placeholder: 'preset (optional)' }),
    el('input', { name: 'prompt', placeholder: 'first prompt (optional)' }),
    el('button', { type: 'submit' }, 'Start'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const text = (key: string) => String(data.get(key) ?? '').trim() || undefined;
    error.textContent = '';
    api<Session>('POST', '/api/sessions', { command: text('command')?.split(/\s+/) ?? [], name: text('name'), preset: text('preset'), prompt: text('prompt') })
      .then((session) => navigate(`/session/${session.id}`))
      .catch((e: Error) => (error.textContent = e.message));
  });
  app.replaceChildren(el('h2', {}, 'Sessions'), table, el('h3', {}, 'Start a session'), form, error);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const refresh = (): void => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const sessions = await api<Session[]>('GET', '/api/sessions').catch(() => undefined);
      if (!sessions) return;
      tbody.replaceChildren(
        ...sessions.map((s) => {
          const link = el('a', { href: `/session/${s.id}` }, s.id);
          link.addEventListener('click', (e) => (e.preventDefault(), navigate(`/session/${s.id}`)));
          return el(
            'tr',
            { 'data-id': s.id, 'data-status': s.status },
            el('td', {}, link),
            el('td', {}, s.name ?? ''),
            el('td', {}, s.command.join(' ')),
            el('td', { class: `status status-${s.status}` }, statusLabel(s)),
            el('td', { class: 'exit' }, exitLabel(s)),
            el('td', { class: 'muted' }, new Date(s.createdAt).toLocaleTimeString()),
          );
        }),
      );
    }, 50);
  };
  refresh();
  return followEvents('/api/events', banner, refresh, refresh);
}
