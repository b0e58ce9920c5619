import type { ClientInfo, WindowSizePolicy } from '@ccx/shared';

/** What the clients of one session act on: its window and its window-size policy. */
export interface SessionWindow {
  size(): { cols: number; rows: number };
  policy(): WindowSizePolicy;
  resize(cols: number, rows: number): void;
}

/** One attached terminal. `detach` ends its attach stream (ccx detach, attach -d). */
export interface AttachedClient {
  readonly number: number;
  readonly readOnly: boolean;
  cols: number | undefined;
  rows: number | undefined;
  readonly attachedAt: Date;
  lastInputAt: Date | undefined;
  /** Order of its last attach, keystroke or resize: `latest` follows the highest. */
  activeSeq: number;
  /** Output-log offset up to which output has been handed to its connection (set by the attach stream). */
  sentOffset: number;
  readonly detach: () => void;
}

/**
 * The terminals attached to one session, and the window size they give it
 * under its `window-size` policy (tmux's option of that name). Only clients
 * that can type and gave a size count: a read-only viewer never resizes the
 * program under the people typing into it.
 */
export class AttachedClients {
  private readonly clients = new Map<number, AttachedClient>();
  private nextNumber = 1;
  private activity = 0;

  constructor(
    private readonly window: SessionWindow,
    private readonly now: () => Date,
  ) {}

  get count(): number {
    return this.clients.size;
  }

  add(opts: { readOnly: boolean; cols?: number; rows?: number; detach: () => void }): AttachedClient {
    const client: AttachedClient = {
      number: this.nextNumber++,
      readOnly: opts.readOnly,
      cols: opts.cols,
      rows: opts.rows,
      attachedAt: this.now(),
      lastInputAt: undefined,
      activeSeq: ++this.activity,
      sentOffset: 0,
      detach: opts.detach,
    };
    this.clients.set(client.number, client);
    this.apply();
    return client;
  }

  /** The client left: under `latest` the window goes to the most recently active one left, as in tmux. */
  remove(client: AttachedClient): void {
    if (!this.clients.delete(client.number)) return;
    this.apply();
  }

  input(client: AttachedClient): void {
    client.lastInputAt = this.now();
    client.activeSeq = ++this.activity;
    if (this.window.policy() === 'latest') this.apply();
  }

  resized(client: AttachedClient, cols: number, rows: number): void {
    client.cols = cols;
    client.rows = rows;
    client.activeSeq = ++this.activity;
    this.apply();
  }

  find(number: number): AttachedClient | undefined {
    return this.clients.get(number);
  }

  all(): AttachedClient[] {
    return [...this.clients.values()];
  }

  /** Detaches every client but `keep`; returns their numbers. */
  detachAll(keep?: AttachedClient): number[] {
    const gone = this.all().filter((c) => c !== keep);
    for (const client of gone) client.detach();
    return gone.map((c) => c.number);
  }

  list(): ClientInfo[] {
    const now = this.now().getTime();
    return this.all().map((c) => ({
      client: c.number,
      cols: c.cols ?? null,
      rows: c.rows ?? null,
      readOnly: c.readOnly,
      attachedAt: c.attachedAt.toISOString(),
      lastInputAt: c.lastInputAt?.toISOString() ?? null,
      idleSeconds: Math.max(0, Math.floor((now - (c.lastInputAt ?? c.attachedAt).getTime()) / 1000)),
      sentOffset: c.sentOffset,
    }));
  }

  /** Gives the window the size the policy picks from the clients; with no client that counts, it stays as it is. */
  apply(): void {
    const size = this.chosenSize();
    const now = this.window.size();
    if (size && (size.cols !== now.cols || size.rows !== now.rows)) this.window.resize(size.cols, size.rows);
  }

  private chosenSize(): { cols: number; rows: number } | undefined {
    const sized = this.all().filter((c): c is AttachedClient & { cols: number; rows: number } => !c.readOnly && c.cols !== undefined && c.rows !== undefined);
    if (sized.length === 0) return undefined;
    switch (this.window.policy()) {
      case 'manual':
        return undefined;
      case 'latest': {
        const latest = sized.reduce((a, b) => (b.activeSeq > a.activeSeq ? b : a));
        return { cols: latest.cols, rows: latest.rows };
      }
      case 'smallest':
        return { cols: Math.min(...sized.map((c) => c.cols)), rows: Math.min(...sized.map((c) => c.rows)) };
      case 'largest':
        return { cols: Math.max(...sized.map((c) => c.cols)), rows: Math.max(...sized.map((c) => c.rows)) };
    }
  }
}
