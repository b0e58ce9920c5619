import { isWindowSizePolicy, WINDOW_SIZE_POLICIES, type WindowSizePolicy } from '@ccx/shared';
import type { Logger } from '../logger.js';
import type { ConfigDocument } from './config-file.js';
import type { ConfigStore } from './config-store.js';

/** How webhook deliveries are made; every field is in the config file's `webhookDelivery` object. */
export interface WebhookDeliverySettings {
  /** Whole-request deadline for one POST. */
  timeoutMs: number;
  /** First retry delay; doubles per failed attempt, with jitter. */
  retryBaseMs: number;
  /** Longest retry delay. */
  retryMaxMs: number;
  /** Per subscriber: past this many pending deliveries the oldest are dropped. */
  outboxMaxDeliveries: number;
  /** Per subscriber: past this many pending body bytes the oldest are dropped. */
  outboxMaxBytes: number;
  /** `stream` level: output is sent at most this long after it was produced... */
  batchMs: number;
  /** ...or as soon as this many bytes are waiting. */
  batchBytes: number;
}

/** How much of the text a `send` wrote its `input-sent` event keeps: none (default), the first 200 characters, or all. */
export const INPUT_TEXT_MODES = ['none', 'preview', 'full'] as const;
export type InputTextMode = (typeof INPUT_TEXT_MODES)[number];

export interface DaemonSettings {
  /** Quiet time after which a session is reported `idle`; undefined = the built-in default. */
  idleAfterMs?: number;
  /** Events a `ccx events -f` follower may have queued before it is cut off (E_OVERFLOW). */
  eventsFollowerQueueMax: number;
  /** Config `events.inputText`. */
  inputText: InputTextMode;
  webhookDelivery: WebhookDeliverySettings;
  /** window-size of sessions started without `--window-size`; undefined = latest. */
  windowSize?: WindowSizePolicy;
}

export const DEFAULT_WEBHOOK_DELIVERY: WebhookDeliverySettings = {
  timeoutMs: 10_000,
  retryBaseMs: 1_000,
  retryMaxMs: 5 * 60_000,
  outboxMaxDeliveries: 10_000,
  outboxMaxBytes: 16 * 1024 * 1024,
  batchMs: 500,
  batchBytes: 64 * 1024,
};

export const DEFAULT_EVENTS_FOLLOWER_QUEUE_MAX = 10_000;

/** Environment variables that override config-file values (handy for one-off runs and tests). */
const ENV_OVERRIDES: Array<[env: string, apply: (s: DaemonSettings, n: number) => void]> = [
  ['CCX_IDLE_AFTER_MS', (s, n) => (s.idleAfterMs = n)],
  ['CCX_EVENTS_QUEUE_MAX', (s, n) => (s.eventsFollowerQueueMax = n)],
  ['CCX_WEBHOOK_TIMEOUT_MS', (s, n) => (s.webhookDelivery.timeoutMs = n)],
  ['CCX_WEBHOOK_RETRY_BASE_MS', (s, n) => (s.webhookDelivery.retryBaseMs = n)],
  ['CCX_WEBHOOK_RETRY_MAX_MS', (s, n) => (s.webhookDelivery.retryMaxMs = n)],
  ['CCX_WEBHOOK_OUTBOX_MAX', (s, n) => (s.webhookDelivery.outboxMaxDeliveries = n)],
  ['CCX_WEBHOOK_BATCH_MS', (s, n) => (s.webhookDelivery.batchMs = n)],
];

/**
 * The first environment override that is set but not a positive number, as
 * a message for the user; undefined when every one is usable. The daemon
 * refuses to start on it (main.ts) rather than quietly use the default.
 */
export function badEnvOverride(env: NodeJS.ProcessEnv): string | undefined {
  for (const [name] of ENV_OVERRIDES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (positive(Number(raw)) === undefined) return `${name}=${raw} is not a positive number: give one (milliseconds for *_MS), or unset it`;
  }
  return undefined;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
}

/**
 * Daemon settings: built-in defaults, then the config file, then environment
 * overrides. Read once at daemon start; a bad value is logged and ignored
 * rather than keeping the daemon from starting.
 */
export function loadSettings(config: ConfigStore, env: NodeJS.ProcessEnv, logger: Logger): DaemonSettings {
  let doc: Readonly<ConfigDocument> = {};
  try {
    doc = config.current();
  } catch (error) {
    logger.error('config file ignored', { file: config.file, error: (error as Error).message });
  }
  const settings: DaemonSettings = {
    idleAfterMs: positive(doc.idleAfterMs),
    eventsFollowerQueueMax: DEFAULT_EVENTS_FOLLOWER_QUEUE_MAX,
    inputText: 'none',
    webhookDelivery: { ...DEFAULT_WEBHOOK_DELIVERY },
  };
  if (isWindowSizePolicy(doc.windowSize)) settings.windowSize = doc.windowSize;
  else if (doc.windowSize !== undefined) logger.warn('config value ignored', { key: 'windowSize', expected: WINDOW_SIZE_POLICIES.join('|') });
  const events = doc.events as Record<string, unknown> | undefined;
  settings.eventsFollowerQueueMax = positive(events?.followerQueueMax) ?? settings.eventsFollowerQueueMax;
  if ((INPUT_TEXT_MODES as readonly unknown[]).includes(events?.inputText)) settings.inputText = events!.inputText as InputTextMode;
  else if (events?.inputText !== undefined) logger.warn('config value ignored: events.inputText is none, preview or full', { value: String(events.inputText).slice(0, 64) });
  const delivery = (doc.webhookDelivery ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_WEBHOOK_DELIVERY) as Array<keyof WebhookDeliverySettings>) {
    const value = positive(delivery[key]);
    if (value !== undefined) settings.webhookDelivery[key] = value;
    else if (delivery[key] !== undefined) logger.warn('config value ignored: not a positive number', { key: `webhookDelivery.${key}` });
  }
  for (const [name, apply] of ENV_OVERRIDES) {
    const value = positive(env[name] === undefined || env[name] === '' ? undefined : Number(env[name]));
    if (value !== undefined) apply(settings, value);
  }
  return settings;
}
