import type { ConnectionBanner } from './connection-banner.js';

/**
 * Server-sent events with the browser's own reconnection: the gateway gives
 * every event its seq as `id:` and `retry:`, so EventSource comes back with
 * Last-Event-ID and gets every later event once. Starts at `since=now`: what
 * happened before is in the first fetch of the list.
 */
export function followEvents(path: string, banner: ConnectionBanner, onEvent: (event: { seq: number; type: string; sessionId?: string; [k: string]: unknown }) => void, onOpen: () => void): () => void {
  const source = new EventSource(`${path}?since=now`);
  const channel = `events:${path}`;
  source.onopen = () => {
    banner.set(channel, true);
    onOpen();
  };
  source.onerror = () => banner.set(channel, false);
  source.onmessage = (message) => onEvent(JSON.parse(message.data));
  // The gateway lost the daemon (a restart): this stream ends and the browser reconnects after `retry`.
  source.addEventListener('ccx-error', () => banner.set(channel, false));
  return () => source.close();
}
