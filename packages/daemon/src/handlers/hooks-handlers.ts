import { unary, type HandlerTable } from '../router.js';
import type { WebhookService } from '../webhooks/webhook-service.js';

/** hooks add, list, rm, test, status. */
export function hooksHandlers(webhooks: WebhookService): HandlerTable {
  return {
    'hooks.add': unary((params) => webhooks.add(params)),
    'hooks.list': unary(() => webhooks.list()),
    'hooks.rm': unary((params) => webhooks.remove(params.targets)),
    'hooks.test': unary((params) => webhooks.test(params.target)),
    'hooks.status': unary(() => webhooks.status()),
  };
}
