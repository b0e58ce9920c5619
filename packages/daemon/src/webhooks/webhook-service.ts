import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CcxError, shellQuote, type CcxEvent, type EventOf, type HookInfo, type HookStatus, type HookTestResult, type WebhookPayload } from '@ccx/shared';
import type { HookSpec } from '@ccx/shared/schemas';
import type { ConfigStore } from '../config/config-store.js';
import type { WebhookDeliverySettings } from '../config/settings.js';
import type { Disposable } from '../disposable.js';
import type { EventBus } from '../events/event-bus.js';
import { PERSISTED_EVENT_TYPES } from '../events/event-follower.js';
import type { Logger } from '../logger.js';
import { newSessionId } from '../session/session-id.js';
import { DeliveryWorker } from './delivery-worker.js';
import { hookInfo, levelOf, loadHooks, logSafeUrl, resolveHook, saveHooks, type StoredHook } from './hook-config.js';
import { hookWants } from './hook-filter.js';
import { postJson, type PostRequest, type PostResult } from './http-post.js';
import { OutputBatcher, type OutputBatch } from './output-batcher.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { deliveryHeaders, payloadBody } from './payload.js';

export interface WebhookServiceDeps {
  bus: EventBus;
  logger: Logger;
  /** The config file's store: subscribers live in its `webhooks` key; its poll reports hand edits. */
  config: ConfigStore;
  /** Holds one outbox journal per subscriber. */
  outboxDir: string;
  settings: WebhookDeliverySettings;
  /** A session's current name (null: none, or the session is gone). */
  sessionName: (sessionId: string) => string | null;
  readOutput: (sessionId: string, offset: number, maxBytes: number) => { offset: number; data: Buffer } | undefined;
  userAgent: string;
  now?: () => Date;
  random?: () => number;
  post?: (req: PostRequest) => Promise<PostResult>;
}

interface Subscriber {
  worker: DeliveryWorker;
  /** Only for `stream` level. */
  batcher?: OutputBatcher;
}

/**
 * Webhook subscribers: reads them from the config file (and notices hand
 * edits), turns bus events into deliveries in each matching subscriber's
 * persistent outbox, and runs one delivery worker per subscriber.
 */
export class WebhookService {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly disposables: Disposable[] = [];
  private outputSubscription: Disposable | undefined;
  /** Names of sessions seen, so a removed session's events still match `--session NAME`. */
  private readonly knownNames = new Map<string, string | null>();
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly post: (req: PostRequest) => Promise<PostResult>;

  constructor(private readonly deps: WebhookServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.post = deps.post ?? ((req) => postJson(req));
  }

  /** Loads the subscribers, resumes their outboxes, and starts listening to the bus. */
  start(): void {
    mkdirSync(this.deps.outboxDir, { recursive: true, mode: 0o700 });
    this.reload(true);
    this.disposables.push(this.deps.bus.subscribe((event) => this.route(event), PERSISTED_EVENT_TYPES));
    this.disposables.push(this.deps.config.onChange(() => this.reload(false)));
  }

  add(spec: HookSpec): HookInfo {
    const hooks = this.readHooks();
    if (spec.label !== undefined && hooks.some((h) => h.label === spec.label)) {
      throw new CcxError('E_NAME_TAKEN', `a webhook labelled ${spec.label} exists`, `pick another --label, or remove it: ccx hooks rm ${shellQuote(spec.label)}`);
    }
    let id = newSessionId();
    while (hooks.some((h) => h.id === id)) id = newSessionId();
    const hook: StoredHook = { id, createdAt: this.now().toISOString(), ...stripUndefined(spec) };
    saveHooks(this.deps.config, [...hooks, hook]);
    this.reconcile([...hooks, hook]);
    this.deps.logger.info('webhook added', { hook: id, url: logSafeUrl(hook.url), hookLevel: levelOf(hook) });
    return hookInfo(hook);
  }

  remove(targets: string[]): { removed: string[]; discarded: number } {
    const hooks = this.readHooks();
    const gone = new Set(targets.map((t) => resolveHook(hooks, t).id));
    let discarded = 0;
    for (const id of gone) discarded += this.subscribers.get(id)?.worker.status().pending ?? 0;
    const kept = hooks.filter((h) => !gone.has(h.id));
    saveHooks(this.deps.config, kept);
    this.reconcile(kept);
    this.deps.logger.info('webhooks removed', { hooks: [...gone], discarded });
    return { removed: [...gone], discarded };
  }

  list(): HookInfo[] {
    return [...this.subscribers.values()].map((s) => hookInfo(s.worker.config));
  }

  status(): HookStatus[] {
    return [...this.subscribers.values()].map((s) => s.worker.status());
  }

  /** One POST right now, outside the outbox (no retry), so the user sees at once whether the receiver works. */
  async test(target: string): Promise<HookTestResult> {
    const hook = resolveHook([...this.subscribers.values()].map((s) => s.worker.config), target);
    const id = randomUUID();
    const payload: WebhookPayload = {
      id,
      hook: hook.id,
      label: hook.label ?? null,
      event: { seq: this.deps.bus.lastSeq, type: 'ping', time: this.now().toISOString() },
      session: null,
    };
    const body = payloadBody(payload);
    const result = await this.post({ url: hook.url, body, headers: deliveryHeaders(hook, id, 'ping', body, 1, this.deps.userAgent), timeoutMs: this.deps.settings.timeoutMs });
    const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
    return { id: hook.id, ok, status: result.status ?? null, ms: result.ms, error: ok ? null : result.status !== undefined ? `HTTP ${result.status}` : (result.error ?? 'failed') };
  }

  /** Sends output still waiting in stream-level batches to the outboxes (daemon stopping). */
  flush(): void {
    for (const s of this.subscribers.values()) s.batcher?.flushAll();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.outputSubscription?.dispose();
    for (const s of this.subscribers.values()) {
      s.batcher?.dispose();
      s.worker.dispose();
    }
    this.subscribers.clear();
  }

  private readHooks(): StoredHook[] {
    const loaded = loadHooks(this.deps.config, this.now);
    return loaded.hooks;
  }

  /** (Re)reads the config file. A broken file keeps the subscribers as they are. */
  private reload(initial: boolean): void {
    let loaded;
    try {
      loaded = loadHooks(this.deps.config, this.now);
    } catch (error) {
      this.deps.logger.error('webhooks not (re)loaded: config file unreadable', { file: this.deps.config.file, error: (error as Error).message });
      return;
    }
    for (const problem of loaded.invalid) this.deps.logger.warn('webhook entry skipped', { problem });
    if (loaded.completed) {
      try {
        saveHooks(this.deps.config, loaded.hooks);
      } catch (error) {
        this.deps.logger.warn('could not write ids of hand-written webhooks back', { error: String(error) });
      }
    }
    this.reconcile(loaded.hooks, initial && loaded.invalid.length === 0);
  }

  /** Makes the running workers match `hooks`; a removed hook's outbox is deleted. */
  private reconcile(hooks: StoredHook[], removeOrphanOutboxes = false): void {
    const wanted = new Map(hooks.map((h) => [h.id, h]));
    for (const [id, s] of this.subscribers) {
      if (wanted.has(id)) continue;
      s.batcher?.dispose();
      s.worker.dispose(true);
      this.subscribers.delete(id);
    }
    for (const hook of hooks) {
      const existing = this.subscribers.get(hook.id);
      if (existing) {
        existing.worker.update(hook);
        if (levelOf(hook) === 'stream') existing.batcher ??= this.newBatcher(hook.id);
        else existing.batcher?.dispose(), (existing.batcher = undefined);
        continue;
      }
      const outbox = new Outbox(this.outboxFile(hook.id), { maxEntries: this.deps.settings.outboxMaxDeliveries, maxBytes: this.deps.settings.outboxMaxBytes });
      const worker = new DeliveryWorker(hook, outbox, {
        settings: this.deps.settings,
        logger: this.deps.logger,
        post: this.post,
        onDropped: (h, dropped) => this.recordDrop(h, dropped),
        now: this.now,
        random: this.random,
        userAgent: this.deps.userAgent,
      });
      this.subscribers.set(hook.id, { worker, batcher: levelOf(hook) === 'stream' ? this.newBatcher(hook.id) : undefined });
      worker.kick();
    }
    if (removeOrphanOutboxes) this.removeOrphanOutboxes(wanted);
    this.updateOutputSubscription();
  }

  private outboxFile(hookId: string): string {
    return join(this.deps.outboxDir, `${hookId}.outbox.jsonl`);
  }

  /** Outboxes of hooks removed from the config while the daemon was down. */
  private removeOrphanOutboxes(wanted: Map<string, StoredHook>): void {
    for (const name of readdirSync(this.deps.outboxDir)) {
      const id = /^([a-z2-7]{8})\.outbox\.jsonl$/.exec(name)?.[1];
      if (id && !wanted.has(id)) rmSync(join(this.deps.outboxDir, name), { force: true });
    }
  }

  /** Output events are only built while someone listens, so subscribe only while a stream-level hook exists. */
  private updateOutputSubscription(): void {
    const needed = [...this.subscribers.values()].some((s) => s.batcher);
    if (needed && !this.outputSubscription) {
      this.outputSubscription = this.deps.bus.subscribe((event) => this.routeOutput(event), ['session-output']);
    } else if (!needed && this.outputSubscription) {
      this.outputSubscription.dispose();
      this.outputSubscription = undefined;
    }
  }

  private newBatcher(hookId: string): OutputBatcher {
    return new OutputBatcher({
      batchMs: this.deps.settings.batchMs,
      batchBytes: this.deps.settings.batchBytes,
      read: this.deps.readOutput,
      emit: (batch) => this.enqueueOutput(hookId, batch),
    });
  }

  private nameOf(sessionId: string | undefined): string | null {
    if (sessionId === undefined) return null;
    const current = this.deps.sessionName(sessionId);
    if (current !== null) this.knownNames.set(sessionId, current);
    return current ?? this.knownNames.get(sessionId) ?? null;
  }

  private route(event: CcxEvent): void {
    if (this.subscribers.size === 0) return;
    const name = this.nameOf(event.sessionId);
    if (event.type === 'session-removed' && event.sessionId) this.knownNames.delete(event.sessionId);
    for (const s of this.subscribers.values()) {
      // Output produced before this event is delivered before it (and before the session can be removed).
      if (event.sessionId !== undefined) s.batcher?.flush(event.sessionId, true);
      if (hookWants(s.worker.config, event, name)) s.worker.enqueue(this.entryFor(s.worker.config, event, name));
    }
  }

  private routeOutput(event: EventOf<'session-output'>): void {
    const name = this.nameOf(event.sessionId);
    for (const s of this.subscribers.values()) {
      if (!s.batcher || !hookWants(s.worker.config, event, name)) continue;
      s.batcher.add(event.sessionId, event.offset, event.bytes);
    }
  }

  private enqueueOutput(hookId: string, batch: OutputBatch): void {
    const s = this.subscribers.get(hookId);
    if (!s) return;
    const event: CcxEvent = {
      seq: this.deps.bus.lastSeq,
      type: 'session-output',
      time: this.now().toISOString(),
      sessionId: batch.sessionId,
      offset: batch.offset,
      bytes: batch.bytes,
      text: batch.text,
      ...(batch.skipped ? { skipped: batch.skipped } : {}),
    };
    s.worker.enqueue(this.entryFor(s.worker.config, event, this.nameOf(batch.sessionId)));
  }

  private entryFor(hook: StoredHook, event: CcxEvent, sessionName: string | null): OutboxEntry {
    const id = randomUUID();
    const payload: WebhookPayload = {
      id,
      hook: hook.id,
      label: hook.label ?? null,
      event,
      session: event.sessionId !== undefined ? { id: event.sessionId, name: sessionName } : null,
    };
    return { id, type: event.type, seq: event.seq, body: payloadBody(payload), enqueuedAt: this.now().toISOString() };
  }

  /** Dropping deliveries is never silent: it becomes an event (in the log, to followers and to every hook). */
  private recordDrop(hook: StoredHook, dropped: OutboxEntry[]): void {
    this.deps.logger.warn('webhook outbox full; oldest deliveries dropped', { hook: hook.id, url: logSafeUrl(hook.url), dropped: dropped.length });
    this.deps.bus.publish('webhook-dropped', {
      hookId: hook.id,
      label: hook.label ?? null,
      count: dropped.length,
      firstSeq: dropped[0]!.seq,
      lastSeq: dropped[dropped.length - 1]!.seq,
      reason: 'outbox full',
    });
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
