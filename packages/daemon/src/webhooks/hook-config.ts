import { CcxError, type HookInfo, type HookLevel } from '@ccx/shared';
import { HookConfigSchema, type HookSpec } from '@ccx/shared/schemas';
import type { ConfigStore } from '../config/config-store.js';
import { newSessionId } from '../session/session-id.js';

/** The config file key that holds the subscribers. */
export const HOOKS_CONFIG_KEY = 'webhooks';

/** A subscriber as stored in the config file. */
export interface StoredHook extends HookSpec {
  id: string;
  createdAt: string;
}

export interface LoadedHooks {
  hooks: StoredHook[];
  /** Entries that were skipped, with why (never their content: it may hold secrets). */
  invalid: string[];
  /** Hand-written entries got an id or createdAt: the file should be written back. */
  completed: boolean;
}

/** Reads the `webhooks` array; throws when the file itself is unreadable, skips bad entries. */
export function loadHooks(config: ConfigStore, now: () => Date): LoadedHooks {
  const raw = config.current()[HOOKS_CONFIG_KEY];
  const result: LoadedHooks = { hooks: [], invalid: [], completed: false };
  if (raw === undefined) return result;
  if (!Array.isArray(raw)) {
    result.invalid.push(`"${HOOKS_CONFIG_KEY}" is not an array`);
    return result;
  }
  const ids = new Set<string>();
  raw.forEach((entry, index) => {
    const parsed = HookConfigSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      result.invalid.push(`${HOOKS_CONFIG_KEY}[${index}]: ${issue?.path.join('.') || '(entry)'}: ${issue?.message ?? 'invalid'}`);
      return;
    }
    const hook = parsed.data;
    let id = hook.id;
    if (id === undefined || ids.has(id)) {
      do id = newSessionId();
      while (ids.has(id));
      result.completed = true;
    }
    if (hook.createdAt === undefined) result.completed = true;
    ids.add(id);
    result.hooks.push({ ...hook, id, createdAt: hook.createdAt ?? now().toISOString() });
  });
  return result;
}

export function saveHooks(config: ConfigStore, hooks: StoredHook[]): void {
  config.update(HOOKS_CONFIG_KEY, hooks);
}

export function levelOf(hook: StoredHook): HookLevel {
  return hook.level ?? 'status';
}

/** What `hooks list` shows: never a secret or a header value. */
export function hookInfo(hook: StoredHook): HookInfo {
  return {
    id: hook.id,
    label: hook.label ?? null,
    url: maskUrl(hook.url),
    level: levelOf(hook),
    events: hook.events ?? [],
    sessions: hook.sessions ?? [],
    headers: Object.keys(hook.headers ?? {}).map((name) => `${name}: ****`),
    secret: hook.secret !== undefined,
    createdAt: hook.createdAt,
  };
}

/** The URL with its password and query values masked: tokens often ride there. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, '****');
    return u.toString().replaceAll('%2A', '*');
  } catch {
    return '(invalid URL)';
  }
}

/** Only scheme, host and port: what the daemon log may say about a receiver (paths can be secret, as Slack's are). */
export function logSafeUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/** Finds a hook by exact id, label, or unique id prefix. */
export function resolveHook(hooks: readonly StoredHook[], target: string): StoredHook {
  const exact = hooks.find((h) => h.id === target) ?? hooks.find((h) => h.label === target);
  if (exact) return exact;
  const matches = hooks.filter((h) => h.id.startsWith(target));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new CcxError('E_AMBIGUOUS', `${target} matches ${matches.length} hooks: ${matches.map((h) => h.id).join(', ')}`, 'type more characters of the id, or use the label');
  }
  throw new CcxError('E_NOT_FOUND', `no webhook ${target}`, 'see the webhooks with: ccx hooks list');
}
