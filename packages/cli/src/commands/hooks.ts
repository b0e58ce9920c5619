import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { EVENT_TYPES, HOOK_LEVELS, type EventType, type HookInfo, type HookLevel, type HookStatus, type HookTestResult } from '@ccx/shared';
import { runCommand } from '../context.js';
import { escapeControls, formatAge, table } from '../format.js';
import { printJson, printLine, usageError } from '../output.js';

/** One type for every `hooks` subcommand: a positional is present where that subcommand's yargs spec requires it. */
type Args = {
  url?: string;
  ids?: string[];
  id?: string;
  event?: EventType[];
  session?: string[];
  level?: HookLevel;
  header?: string[];
  'header-file'?: string;
  secret?: string;
  'secret-file'?: string;
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

/** A file's text, or stdin's for `-`: how secrets stay out of argv (`/proc/PID/cmdline` is readable by every user). */
function readSource(source: string, what: string): string {
  try {
    return readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${what} from ${source === '-' ? 'stdin' : source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * The secret from `--secret S` (visible in `ps`), `--secret -` (stdin) or
 * `--secret-file F`; one trailing newline is dropped.
 */
export function readSecret(value: string | undefined, file: string | undefined): string | undefined {
  if (value !== undefined && file !== undefined) throw usageError('give --secret or --secret-file, not both');
  if (value !== undefined && value !== '-') return value;
  const source = file ?? (value === '-' ? '-' : undefined);
  if (source === undefined) return undefined;
  const secret = readSource(source, 'the secret').replace(/\r?\n$/, '');
  if (!secret) throw usageError(`--secret${file !== undefined ? '-file' : ''} read an empty secret from ${source === '-' ? 'stdin' : source}`);
  return secret;
}

/** `--header-file F` (or `-` for stdin): one `Name: value` per line; blank lines and `#` comments are skipped. */
export function readHeaderLines(file: string | undefined): string[] {
  if (file === undefined) return [];
  return readSource(file, 'headers')
    .split(/\r?\n/)
    .filter((line) => line.trim() && !line.trimStart().startsWith('#'));
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
        .option('header', { type: 'string', array: true, describe: "extra header 'Name: value' (repeatable; values are never shown by ccx, but argv is visible to every user in ps: prefer --header-file)" })
        .option('header-file', { type: 'string', describe: "read headers from a file, one 'Name: value' per line; - reads stdin" })
        .option('secret', { type: 'string', describe: 'sign bodies: X-Ccx-Signature: sha256=HMAC; "-" reads it from stdin (a value given here is visible in ps)' })
        .option('secret-file', { type: 'string', describe: 'read the signing secret from a file (one trailing newline dropped)' })
        .option('label', { type: 'string', describe: 'a unique name for the hook' })
        .option('json', { type: 'boolean' })
        .example('$0 hooks add http://127.0.0.1:8080/ccx --secret - --label bot < secret.txt', 'lifecycle events, signed')
        .example('$0 hooks add https://example.net/hook --secret-file ~/.hook-secret --header-file ~/.hook-headers', 'secret and headers from files, never in ps')
        .example('$0 hooks add https://example.net/hook --level summary --session py', 'busy/idle and input of session py too') as never,
    handler: (argv) =>
      runCommand(argv, async (ctx) => {
        if (argv['header-file'] === '-' && (argv.secret === '-' || argv['secret-file'] === '-')) throw usageError('stdin can hold the secret or the headers, not both', 'put one of them in a file: --secret-file F or --header-file F');
        const headers = parseHeaders([...(argv.header ?? []), ...readHeaderLines(argv['header-file'])]);
        const secret = readSecret(argv.secret, argv['secret-file']);
        const conn = await ctx.connect();
        const info = await conn.request('hooks.add', {
          url: argv.url!,
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
        const hooks = await conn.request('hooks.list', {});
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
        const result = await conn.request('hooks.rm', { targets: argv.ids! });
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
        const result = await conn.request('hooks.test', { target: argv.id! });
        if (ctx.json) printJson(result);
        else if (result.ok) printLine(`ok: HTTP ${result.status} in ${result.ms} ms`);
        else process.stderr.write(`ccx: webhook ${result.id} did not accept the ping: ${escapeControls(String(result.error))} after ${result.ms} ms\nhint: check the URL, and that the receiver answers 2xx\n`);
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
        const status = await conn.request('hooks.status', {});
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
