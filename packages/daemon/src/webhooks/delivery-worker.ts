import type { HookStatus } from '@ccx/shared';
import type { WebhookDeliverySettings } from '../config/settings.js';
import type { Logger } from '../logger.js';
import { hookInfo, levelOf, logSafeUrl, type StoredHook } from './hook-config.js';
import type { PostRequest, PostResult } from './http-post.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import { deliveryHeaders } from './payload.js';
import { classify, retryDelayMs } from './retry-policy.js';

export interface DeliveryDeps {
  settings: WebhookDeliverySettings;
  logger: Logger;
  post: (req: PostRequest) => Promise<PostResult>;
  /** Told (after the fact, never re-entrantly) when the outbox overflowed. */
  onDropped: (hook: StoredHook, dropped: OutboxEntry[]) => void;
  now: () => Date;
  random: () => number;
  userAgent: string;
}

/**
 * Delivers one subscriber's outbox, strictly in order: one request at a
 * time, the head retried with backoff until the receiver accepts it (or
 * refuses it for good), then the next. Each subscriber has its own worker, so
 * a receiver that hangs or is down delays nobody else.
 */
export class DeliveryWorker {
  private running = false;
  private disposed = false;
  private backoffTimer: NodeJS.Timeout | undefined;
  private wakeBackoff: (() => void) | undefined;
  private inFlight: AbortController | undefined;
  private failuresInRow = 0;
  private state: HookStatus['state'] = 'idle';
  private nextAttemptAt: Date | null = null;
  private readonly stats = { delivered: 0, failed: 0, rejected: 0, dropped: 0 };
  private lastDeliveredAt: string | null = null;
  private lastError: { time: string; message: string } | null = null;

  constructor(
    private hook: StoredHook,
    private readonly outbox: Outbox,
    private readonly deps: DeliveryDeps,
  ) {}

  get id(): string {
    return this.hook.id;
  }

  get config(): StoredHook {
    return this.hook;
  }

  /** Takes a changed config (hand edit of the config file); pending deliveries stay. */
  update(hook: StoredHook): void {
    this.hook = hook;
  }

  enqueue(entry: OutboxEntry): void {
    if (this.disposed) return;
    let dropped: OutboxEntry[];
    try {
      dropped = this.outbox.add(entry);
    } catch (error) {
      // The outbox could not be written (disk full?): that delivery is lost, and that is said.
      this.deps.logger.error('webhook outbox write failed', { hook: this.hook.id, error: String(error) });
      dropped = [entry];
    }
    if (dropped.length) {
      this.stats.dropped += dropped.length;
      queueMicrotask(() => this.deps.onDropped(this.hook, dropped));
    }
    this.kick();
  }

  /** Starts delivering whatever the outbox holds (e.g. left over from before a restart). */
  kick(): void {
    if (this.running || this.disposed || this.outbox.size === 0) return;
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
      this.state = 'idle';
      // An entry may have arrived just as the loop ended.
      if (!this.disposed && this.outbox.size > 0) this.kick();
    });
  }

  private async run(): Promise<void> {
    for (let entry = this.outbox.head(); entry && !this.disposed; entry = this.outbox.head()) {
      this.state = 'sending';
      const attempt = this.failuresInRow + 1;
      const hook = this.hook;
      this.inFlight = new AbortController();
      const result = await this.deps.post({
        url: hook.url,
        body: entry.body,
        headers: deliveryHeaders(hook, entry.id, entry.type, entry.body, attempt, this.deps.userAgent),
        timeoutMs: this.deps.settings.timeoutMs,
        signal: this.inFlight.signal,
      });
      this.inFlight = undefined;
      if (this.disposed) return;
      const outcome = classify(result);
      if (outcome === 'delivered') {
        this.failuresInRow = 0;
        this.stats.delivered++;
        this.lastDeliveredAt = this.deps.now().toISOString();
        this.outbox.done(entry.id);
        continue;
      }
      this.stats.failed++;
      const message = result.status !== undefined ? `HTTP ${result.status}` : (result.error ?? 'failed');
      this.lastError = { time: this.deps.now().toISOString(), message };
      if (outcome === 'rejected') {
        this.failuresInRow = 0;
        this.stats.rejected++;
        this.deps.logger.warn('webhook delivery refused; giving it up', { hook: this.hook.id, url: logSafeUrl(hook.url), delivery: entry.id, status: result.status });
        this.outbox.done(entry.id);
        continue;
      }
      this.failuresInRow++;
      const delay = retryDelayMs(this.failuresInRow, this.deps.settings.retryBaseMs, this.deps.settings.retryMaxMs, this.deps.random, result.retryAfterMs);
      if (this.failuresInRow === 1 || this.failuresInRow % 10 === 0) {
        this.deps.logger.warn('webhook delivery failed; will retry', { hook: this.hook.id, url: logSafeUrl(hook.url), error: message, attempt, retryInMs: delay });
      }
      await this.backoff(delay);
    }
  }

  private backoff(ms: number): Promise<void> {
    this.state = 'backoff';
    this.nextAttemptAt = new Date(this.deps.now().getTime() + ms);
    return new Promise<void>((resolve) => {
      this.wakeBackoff = resolve;
      this.backoffTimer = setTimeout(resolve, ms);
    }).then(() => {
      this.backoffTimer = undefined;
      this.wakeBackoff = undefined;
      this.nextAttemptAt = null;
    });
  }

  status(): HookStatus {
    const info = hookInfo(this.hook);
    return {
      id: this.hook.id,
      label: info.label,
      url: info.url,
      level: levelOf(this.hook),
      ...this.stats,
      pending: this.outbox.size,
      state: this.state,
      nextAttemptAt: this.nextAttemptAt?.toISOString() ?? null,
      lastDeliveredAt: this.lastDeliveredAt,
      lastError: this.lastError,
    };
  }

  /** Stops delivering; the outbox keeps what is pending (unless `discard`: the hook was removed). */
  dispose(discard = false): void {
    this.disposed = true;
    // A request in flight to a hanging receiver ends now, not at its timeout: a removed hook leaves no socket behind.
    this.inFlight?.abort();
    clearTimeout(this.backoffTimer);
    this.wakeBackoff?.();
    if (discard) this.outbox.destroy();
  }
}
