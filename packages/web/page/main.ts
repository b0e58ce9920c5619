import { api } from './api.js';
import { ConnectionBanner } from './connection-banner.js';
import { showList } from './list-view.js';
import { showSession } from './session-view.js';

/**
 * The page's entry. The token arrives in the URL fragment (never sent to a
 * server or in a Referer); it is traded at once for the HttpOnly cookie and
 * removed from the address bar and history.
 */
async function login(): Promise<void> {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, '', location.pathname + location.search);
  await api('POST', '/api/login', { token: decodeURIComponent(m[1]!) });
}

const app = document.getElementById('app')!;
const crumb = document.getElementById('crumb')!;
const banner = new ConnectionBanner(document.getElementById('banner')!);
let leave: (() => void) | undefined;

function route(): void {
  leave?.();
  const m = /^\/session\/([^/]+)$/.exec(location.pathname);
  if (m) {
    const id = decodeURIComponent(m[1]!);
    crumb.textContent = `/ ${id}`;
    leave = showSession(app, banner, id);
  } else {
    crumb.textContent = '';
    leave = showList(app, banner, navigate);
  }
}

function navigate(path: string): void {
  history.pushState(null, '', path);
  route();
}

window.addEventListener('popstate', route);
document.getElementById('home')!.addEventListener('click', (e) => (e.preventDefault(), navigate('/sessions')));
login().then(route, (e: Error) => (app.textContent = `login failed: ${e.message} — open the URL ccx web printed`));
