import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { EVENT_TYPES, HOOK_LEVELS, type HookInfo, type HookStatus, type HookTestResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { formatAge, table } from '../format.js';
import { printJson, printLine, usageError } from '../output.js';

type Args = {
  url?: string;
  ids?: string[];
  id?: string;
  event?: string[];
  session?: string[];
  level?: string;
  header?: string[];
  secret?: string;
  label?: string;
  json?: boolean;
};

/** `Name: value` pairs into a record; the value may contain colons. */
export function parseHeaders(pairs: string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(':');
    if (colon <= 0) throw usageError(`--header needs 'Name: value', got: ${pair.split(':')[0]}…`, "example: --header 'Authorization: Bearer TOKEN'");
    headers[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim();
  }
  return headers;
}

/** `--secret -` reads the secret from stdin, so it never shows in `ps` or shell history. */
function readSecret(value: string | undefined): string | undefined {
  if (value !== '-') return value;
  const secret = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (!secret) throw usageError('--secret - read an empty secret from stdin');
  return secret;
}

function renderHooks(hooks: HookInfo[]): string {
  return table(
    ['ID', 'LABEL', 'LEVEL', 'EVENTS', 'SESSIONS', 'SECRET', 'HEADERS', 'URL'],
    hooks.map((h) => [h.id, h.label ?? '-', h.level, h.events.join(',') || 'all', h.sessions.join(',') || 'all', h.secret ? 'set' : '-', h.headers.join('; ') || '-', h.url]),
  );
}

export function renderHookStatus(hooks: HookStatus[]): string {
  return table(
    ['ID', 'LABEL', 'STATE', 'DELIVERED', 'FAILED', 'REJECTED', 'DROPPED', 'PENDING', 'LAST OK', 'LAST ERROR'],
    hooks.map((h) => [
      h.id,
      h.label ?? '-',
      h.state === 'backoff' && h.nextAttemptAt ? `retry in ${Math.max(0, Math.round((Date.parse(h.nextAttemptAt) - Date.now()) / 1000))}s` : h.state,
      String(h.delivered),
      String(h.failed),
      String(h.rejected),
      String(h.dropped),
      String(h.pending),
      h.lastDeliveredAt ? `${formatAge(h.lastDeliveredAt)} ago` : '-',
      h.lastError ? `${h.lastError.message} (${formatAge(h.lastError.time)} ago)` : '-',
    ]),
  );
}

const subcommands: CommandModule<object, Args>[] = [
  {
    command: 'add <url>',
    describe: 'Add a webhook subscriber; prints its id',
    builder: (y) =>
      y
        .positional('url', { type: 'string', describe: 'http:// or https:// URL that receives a JSON POST per event' })
        .option('level', { type: 'string', choices: HOOK_LEVELS as unknown as string[], default: 'status', describe: 'status: lifecycle; summary: + busy/idle and input; stream: everything, output batched' })
        .option('event', { type: 'string', array: true, choices: EVENT_TYPES as unknown as string[], describe: 'only these event types (repeatable)' })
        .option('session', { type: 'string', array: true, describe: 'only events of this session id or name (repeatable)' })
        .option('header', { type: 'string', array: true, describe: "extra header 'Name: value' (repeatable; values are never shown)" })
        .option('secret', { type: 'string', describe: 'sign bodies: X-Ccx-Signature: sha256=HMAC; "-" reads it from stdin' })
        .option('label', { type: 'string', describe: 'a unique name for the hook' })
        .option('json', { type: 'boolean' })
        .example('$0 hooks add http://127.0.0.1:8080/ccx --secret - --label bot < secret.txt', 'lifecycle events, signed')
        .example('$0 hooks add https://example.net/hook --level summary --session py', 'busy/idle and input of session py too') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const headers = parseHeaders(argv.header);
        const secret = readSecret(argv.secret);
        const conn = await ctx.connect();
        const info = await conn.request<HookInfo>('hooks.add', {
          url: argv.url,
          level: argv.level,
          events: argv.event,
          sessions: argv.session,
          headers: Object.keys(headers).length ? headers : undefined,
          secret,
          label: argv.label,
        });
        if (ctx.json) printJson(info);
        else printLine(info.id);
      }),
  },
  {
    command: ['list', 'ls'],
    describe: 'List webhook subscribers (secrets and header values masked)',
    builder: (y) => y.option('json', { type: 'boolean' }).example('$0 hooks list', 'every subscriber') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const conn = await ctx.connect();
        const hooks = await conn.request<HookInfo[]>('hooks.list', {});
        if (ctx.json) return printJson(hooks);
        printLine(hooks.length ? renderHooks(hooks) : 'no webhooks (add one with: ccx hooks add URL)');
      }),
  },
  {
    command: 'rm <ids..>',
    describe: 'Remove webhook subscribers (their pending deliveries are discarded)',
    builder: (y) => y.positional('ids', { type: 'string', array: true, describe: 'hook id, id prefix or label' }).option('json', { type: 'boolean' }).example('$0 hooks rm bot', 'remove the hook labelled bot') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const conn = await ctx.connect();
        const result = await conn.request<{ removed: string[]; discarded: number }>('hooks.rm', { targets: argv.ids });
        if (ctx.json) return printJson(result);
        for (const id of result.removed) printLine(id);
        if (result.discarded) process.stderr.write(`${result.discarded} pending deliveries discarded\n`);
      }),
  },
  {
    command: 'test <id>',
    describe: 'POST a "ping" event to a subscriber now (no retry) and show the answer',
    builder: (y) => y.positional('id', { type: 'string' }).option('json', { type: 'boolean' }).example('$0 hooks test bot', 'does the receiver answer 2xx?') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const conn = await ctx.connect();
        const result = await conn.request<HookTestResult>('hooks.test', { target: argv.id });
        if (ctx.json) printJson(result);
        else if (result.ok) printLine(`ok: HTTP ${result.status} in ${result.ms} ms`);
        else process.stderr.write(`ccx: webhook ${result.id} did not accept the ping: ${result.error} after ${result.ms} ms\nhint: check the URL, and that the receiver answers 2xx\n`);
        return result.ok ? 0 : 1;
      }),
  },
  {
    command: 'status',
    describe: 'Per subscriber: delivered, failed, pending, dropped, last error',
    builder: (y) => y.option('json', { type: 'boolean' }).example('$0 hooks status', 'is every receiver keeping up?') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        const conn = await ctx.connect();
        const status = await conn.request<HookStatus[]>('hooks.status', {});
        if (ctx.json) return printJson(status);
        printLine(status.length ? renderHookStatus(status) : 'no webhooks');
      }),
  },
];

export const hooksCommand: CommandModule = {
  command: 'hooks <command>',
  describe: 'Webhook subscribers: add, list, rm, test, status',
  builder: (y: Argv) => {
    for (const sub of subcommands) y.command(sub as CommandModule);
    return y.demandCommand(1).example('$0 hooks add http://127.0.0.1:8080/', 'POST session lifecycle events there');
  },
  handler: () => {},
};
