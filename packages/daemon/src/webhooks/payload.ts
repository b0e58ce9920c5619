import { createHmac } from 'node:crypto';
import { DELIVERY_HEADER, SIGNATURE_HEADER, type WebhookPayload } from '@ccx/shared';
import type { StoredHook } from './hook-config.js';

/** `sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`, as GitHub signs its webhooks. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function payloadBody(payload: WebhookPayload): string {
  return JSON.stringify(payload);
}

/**
 * Headers of one delivery attempt. The hook's own headers come first so they
 * can never override the ones ccx defines (content type, id, signature).
 */
export function deliveryHeaders(hook: StoredHook, deliveryId: string, eventType: string, body: string, attempt: number, userAgent: string): Record<string, string> {
  const headers: Record<string, string> = {
    ...(hook.headers ?? {}),
    'Content-Type': 'application/json',
    'User-Agent': userAgent,
    [DELIVERY_HEADER]: deliveryId,
    'X-Ccx-Event': eventType,
    'X-Ccx-Attempt': String(attempt),
  };
  if (hook.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(hook.secret, body);
  return headers;
}
