import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import type { ConnectionBanner } from './connection-banner.js';

/**
 * Bytes handed to xterm.js whose write callback has not fired yet. Above
 * HIGH the page asks the gateway to pause this socket's stream (the program
 * and other clients go on: the daemon reads the output log for us later);
 * below LOW it asks to resume. xterm.js's own flow-control guide uses the
 * same two marks.
 */
const HIGH_WATER_BYTES = 512 * 1024;
const LOW_WATER_BYTES = 64 * 1024;
/** Reconnection backoff: first retry after this, doubling to the cap. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

export interface TerminalHandlers {
  onStart?(session: unknown): void;
  onEnd?(end: { status: string; exitCode: number | null; signal: string | null }): void;
}

/**
 * The session's terminal in the page: on each (re)connection the gateway
 * sends the current screen, then live output, so a reconnect redraws from a
 * reset terminal and nothing is doubled; the backoff doubles up to 5 s.
 */
export class TerminalView {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private ws: WebSocket | undefined;
  private pending = 0;
  private paused = false;
  private retryMs = RETRY_FIRST_MS;
  private ended = false;
  private disposed = false;
  private readonly encoder = new TextEncoder();
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly box: HTMLElement,
    private readonly sessionId: string,
    private readonly write: boolean,
    private readonly banner: ConnectionBanner,
    private readonly handlers: TerminalHandlers = {},
  ) {
    this.term = new Terminal({ convertEol: false, scrollback: 5000, disableStdin: !write, fontSize: 13 });
    this.term.loadAddon(this.fit);
    this.term.open(box);
    this.fitNow();
    window.addEventListener('resize', this.fitNow);
    // The box gets its final size after layout (and changes with the window): fit whenever it does.
    this.resizeObserver = new ResizeObserver(() => this.fitNow());
    this.resizeObserver.observe(box);
    this.term.onData((data) => this.send(this.encoder.encode(data)));
    this.term.onBinary((data) => this.send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
    this.term.onResize(({ cols, rows }) => this.control({ type: 'resize', cols, rows }));
    this.connect();
  }

  private readonly fitNow = (): void => {
    try {
      this.fit.fit();
    } catch {}
  };

  private connect(): void {
    if (this.disposed) return;
    const params = new URLSearchParams({ cols: String(this.term.cols), rows: String(this.term.rows) });
    if (this.write) params.set('write', '1');
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/session/${encodeURIComponent(this.sessionId)}/terminal?${params}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let fresh = true;
    ws.onopen = () => {
      this.banner.set('terminal', true);
      this.retryMs = RETRY_FIRST_MS;
    };
    ws.onmessage = (message) => {
      if (typeof message.data === 'string') {
        const control = JSON.parse(message.data);
        if (control.type === 'start') this.handlers.onStart?.(control.session);
        if (control.type === 'end') {
          this.ended = true;
          this.handlers.onEnd?.(control.end);
        }
        return;
      }
      // The first bytes of a connection are the current screen: start from a clean terminal.
      if (fresh) {
        fresh = false;
        this.term.reset();
        this.pending = 0;
        this.paused = false;
      }
      this.take(new Uint8Array(message.data as ArrayBuffer));
    };
    ws.onclose = (event) => {
      if (this.ws !== ws || this.disposed) return;
      this.ws = undefined;
      if (this.ended || event.code === 1000) return;
      this.banner.set('terminal', false);
      const delay = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      setTimeout(() => void this.retry(), delay);
    };
  }

  /** Reconnects while the session runs; one that ended (a daemon restart ends its sessions) is shown as ended. */
  private async retry(): Promise<void> {
    if (this.disposed) return;
    try {
      const res = await fetch(`/api/session/${encodeURIComponent(this.sessionId)}/status`, { credentials: 'same-origin' });
      if (res.ok) {
        const session = await res.json();
        if (session.status !== 'running') {
          this.ended = true;
          this.banner.set('terminal', true);
          this.handlers.onEnd?.(session);
          return;
        }
      } else if (res.status === 404) {
        this.ended = true;
        this.banner.set('terminal', true);
        return;
      }
    } catch {}
    this.connect();
  }

  /** Writes output to xterm.js with its callback counting what is still unparsed (watermarks above). */
  private take(bytes: Uint8Array): void {
    this.pending += bytes.length;
    this.term.write(bytes, () => {
      this.pending -= bytes.length;
      if (this.paused && this.pending < LOW_WATER_BYTES) {
        this.paused = false;
        this.control({ type: 'resume' });
      }
    });
    if (!this.paused && this.pending > HIGH_WATER_BYTES) {
      this.paused = true;
      this.control({ type: 'pause' });
    }
  }

  private send(bytes: Uint8Array): void {
    if (this.write && this.ws?.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  private control(message: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  focus(): void {
    this.term.focus();
  }

  dispose(): void {
    this.disposed = true;
    window.removeEventListener('resize', this.fitNow);
    this.resizeObserver.disconnect();
    this.ws?.close();
    this.term.dispose();
    this.banner.set('terminal', true);
  }
}
