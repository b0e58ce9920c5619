/**
 * The CLI's options and the methods' schemas say the same thing (issue 13,
 * point 5): every option a command declares is either forwarded to a field
 * that its method's schema has, or is the client's own (output format, a
 * file to read); and every schema field is reached by some option or is
 * listed below as set by the CLI itself or kept for protocol clients. A
 * field added to a schema without an option, or an option added to a
 * command without a field (or a reason), fails here.
 *
 * The options are read by running each command's real yargs builder against
 * a recorder; the schemas are the daemon's zod schemas.
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MethodParams, type MethodName } from '@ccx/shared/schemas';

/** A zod schema as this test walks it (zod itself is not a dependency of test/). */
type SchemaNode = unknown;

const COMMANDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'dist', 'commands');

/** An option's destination: `method.field` (a dotted path into nested objects), several, or null: the CLI's own. */
type Destination = string | string[] | null;

/** The options `run` and `start` share: both start a session with session.start. */
const START_OPTIONS: Record<string, Destination> = {
  cmd: 'session.start.command',
  name: 'session.start.name',
  cwd: 'session.start.cwd',
  env: 'session.start.env',
  cols: 'session.start.cols',
  rows: 'session.start.rows',
  'window-size': 'session.start.windowSize',
};

/** Per command (`start`, `hooks add`, …): where each of its options and positionals goes. */
const FORWARDS: Record<string, Record<string, Destination>> = {
  approve: { id: 'session.approve.target', req: 'session.approve.requestId', input: 'session.approve.input', preset: 'session.approve.preset', json: null },
  deny: { id: 'session.approve.target', req: 'session.approve.requestId', preset: 'session.approve.preset', message: 'session.approve.message', json: null },
  approvals: { id: 'approvals.list.target', json: null },
  attach: { id: 'session.attach.target', 'read-only': 'session.attach.readOnly', 'detach-others': 'session.attach.detachOthers', 'detach-key': null, allow: 'session.attach.allow' },
  cancel: { id: 'session.cancel.target', grace: 'session.cancel.graceMs', force: 'session.cancel.force', json: null },
  kill: { id: 'session.cancel.target', json: null },
  clients: { id: 'session.clients.target', json: null },
  completion: { shell: null },
  'daemon run': {},
  'daemon start': { json: null },
  'daemon stop': { json: null },
  'daemon restart': { json: null, yes: null },
  'daemon status': { json: null },
  // Reads the daemon's log file: no method.
  'daemon logs': { follow: null, lines: null },
  'daemon dial-stdio': {},
  'dial-stdio': {},
  detach: { id: 'session.detach.target', all: 'session.detach.all', client: 'session.detach.client', json: null },
  events: { id: 'events.stream.target', type: 'events.stream.types', since: 'events.stream.since', follow: 'events.stream.follow', json: null },
  'hooks add': {
    url: 'hooks.add.url',
    level: 'hooks.add.level',
    event: 'hooks.add.events',
    session: 'hooks.add.sessions',
    header: 'hooks.add.headers',
    'header-file': 'hooks.add.headers',
    secret: 'hooks.add.secret',
    'secret-file': 'hooks.add.secret',
    label: 'hooks.add.label',
    json: null,
  },
  'hooks list': { json: null },
  'hooks rm': { ids: 'hooks.rm.targets', json: null },
  'hooks test': { id: 'hooks.test.target', json: null },
  'hooks status': { json: null },
  interrupt: { id: 'session.interrupt.target', key: 'session.interrupt.key', preset: 'session.interrupt.preset', json: null },
  // --all-hosts asks every configured host in turn.
  list: { all: 'session.list.all', json: null, 'all-hosts': null },
  // A structured agent session's logs --json asks session.get whether it is one, then session.messages (same id and --tail).
  logs: {
    id: ['session.logs.target', 'session.get.target', 'session.messages.target'],
    tail: ['session.logs.tail', 'session.messages.tail'],
    since: 'session.logs.since',
    follow: 'session.logs.follow',
    raw: null,
    json: null,
  },
  presets: { json: null },
  // ccx web serves HTTP itself; it calls the daemon's methods per request, with params from the HTTP body (test/web-api.test.ts).
  web: { port: null, bind: null, 'rotate-token': null, json: null },
  prune: { 'older-than': 'session.prune.olderThanMs', json: null },
  rm: { ids: 'session.rm.targets', force: 'session.rm.force', json: null },
  resume: { id: 'session.resume.target', env: 'session.resume.env', json: null },
  resize: { id: 'session.resize.target', size: ['session.resize.cols', 'session.resize.rows'], 'window-size': 'session.resize.windowSize', json: null },
  run: {
    ...START_OPTIONS,
    preset: 'session.start.preset',
    // run's own deadline: it cancels the session when it passes.
    timeout: null,
    raw: null,
    json: null,
    stdin: 'session.logs.input',
  },
  screen: { id: 'session.screen.target', ansi: 'session.screen.ansi', scrollback: 'session.screen.scrollback', json: null },
  send: {
    id: 'session.turn.target',
    text: 'session.turn.text',
    stdin: 'session.turn.text',
    paste: 'session.turn.paste',
    enter: 'session.turn.enter',
    key: 'session.turn.keys',
    'enter-delay': 'session.turn.enterDelayMs',
    preset: 'session.turn.preset',
    queue: 'session.turn.noQueue',
    record: 'session.turn.record',
    wait: 'session.turn.wait',
    until: 'session.turn.wait.until',
    'until-text': 'session.turn.wait.untilText',
    screen: 'session.turn.wait.screen',
    idle: 'session.turn.wait.idleMs',
    exit: 'session.turn.wait.exit',
    timeout: 'session.turn.wait.timeoutMs',
    print: 'session.turn.wait.capture',
    json: null,
  },
  start: {
    ...START_OPTIONS,
    preset: ['session.start.preset', 'session.wait.preset'],
    reuse: 'session.start.reuse',
    'wait-ready': 'session.wait.ready',
    timeout: 'session.wait.timeoutMs',
    json: null,
    // --agent makes session.start's agent object; the other agent flags fill it.
    agent: ['session.start.agent', 'session.start.agent.kind'],
    model: 'session.start.agent.model',
    'permission-mode': 'session.start.agent.permissionMode',
    'approval-timeout': 'session.start.agent.approvalTimeoutMs',
  },
  wait: {
    id: 'session.wait.target',
    from: 'session.wait.from',
    preset: 'session.wait.preset',
    print: 'session.wait.capture',
    until: 'session.wait.until',
    'until-text': 'session.wait.untilText',
    screen: 'session.wait.screen',
    idle: 'session.wait.idleMs',
    exit: 'session.wait.exit',
    timeout: 'session.wait.timeoutMs',
    json: null,
  },
};

/** Schema fields no option reaches, and why. */
const INTERNAL: Record<string, string> = {
  'session.start.inheritDaemonEnv': 'set by the CLI when talking to another host (--host)',
  'session.start.umask': "the caller's umask, read by the CLI",
  'session.turn.textBytes': 'set by the CLI when the text is too large for one frame',
  'session.approve.approved': 'which command it is: approve or deny',
  'session.approve.by': "set by the CLI: `ccx approve (pid N)`, so a later answerer is told who answered first",
  'session.resume.inheritDaemonEnv': 'set by the CLI when talking to another host (--host), as for start',
  'session.resume.umask': "the caller's umask, read by the CLI, as for start",
  'session.wait.echo': 'for protocol clients; the CLI waits for an answer inside session.turn, which knows the text',
  'session.attach.cols': "the attaching terminal's size",
  'session.attach.rows': "the attaching terminal's size",
};

/** Methods no command sends, and what covers their fields instead. */
const PROTOCOL_ONLY: Partial<Record<MethodName, MethodName>> = {
  // The CLI's send is a session.turn; session.send takes the same fields (one `sendFields` in schemas.ts).
  'session.send': 'session.turn',
};

interface Recorded {
  name: string;
  options: string[];
}

/** Runs a yargs builder against a stand-in that records every option, positional and subcommand it declares. */
function record(name: string, builder: unknown, into: Recorded[]): void {
  const options: string[] = [];
  const y: unknown = new Proxy(
    {},
    {
      get(_target, prop) {
        if (prop === 'then') return undefined;
        return (...args: unknown[]) => {
          if (prop === 'option' || prop === 'positional') options.push(String(args[0]));
          else if (prop === 'options') options.push(...Object.keys(args[0] as object));
          else if (prop === 'command') {
            const sub = args[0] as { command: string | string[]; builder?: unknown };
            record(`${name} ${[sub.command].flat()[0]!.split(' ')[0]}`, sub.builder, into);
          }
          return y;
        };
      },
    },
  );
  if (typeof builder === 'function') builder(y);
  into.push({ name, options });
}

async function recordCommands(): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  for (const file of readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.js'))) {
    const mod = (await import(join(COMMANDS_DIR, file))) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (!value || typeof value !== 'object' || !('command' in value)) continue;
      const cmd = value as { command: string | string[]; builder?: unknown };
      const name = [cmd.command].flat()[0]!.split(' ')[0]!;
      record(name, cmd.builder, recorded);
    }
  }
  // A command with subcommands is recorded as each subcommand; the parent itself declares none.
  return recorded.filter((r) => !(r.options.length === 0 && recorded.some((o) => o.name.startsWith(`${r.name} `))));
}

/** The object schema inside optional/refined wrappers, or undefined for a leaf. */
function objectShape(schema: SchemaNode): Record<string, SchemaNode> | undefined {
  let s = schema as unknown as { shape?: Record<string, SchemaNode>; unwrap?: () => SchemaNode; def?: { innerType?: SchemaNode } };
  for (let i = 0; i < 8; i++) {
    if (s.shape) return s.shape;
    const inner = s.unwrap?.() ?? s.def?.innerType;
    if (!inner) return undefined;
    s = inner as typeof s;
  }
  return undefined;
}

/** Every field path of every method: `session.turn.wait.until`, … */
function schemaFields(): string[] {
  const fields: string[] = [];
  const walk = (prefix: string, shape: Record<string, SchemaNode>): void => {
    for (const [key, field] of Object.entries(shape)) {
      fields.push(`${prefix}.${key}`);
      const inner = objectShape(field);
      if (inner) walk(`${prefix}.${key}`, inner);
    }
  };
  for (const [method, schema] of Object.entries(MethodParams)) walk(method, objectShape(schema as SchemaNode)!);
  return fields;
}

const destinations = (d: Destination): string[] => (d === null ? [] : [d].flat());

test('every option or positional of every command is declared here: forwarded to a field or the client’s own', async (t) => {
  const recorded = await recordCommands();
  t.true(recorded.length >= 30, `commands found: ${recorded.map((r) => r.name).join(', ')}`);
  for (const { name, options } of recorded) {
    const declared = FORWARDS[name];
    if (!declared) {
      t.fail(`command ${name} is not in FORWARDS (its options: ${options.join(', ')})`);
      continue;
    }
    t.deepEqual([...new Set(options)].sort(), Object.keys(declared).sort(), `options of ${name}`);
  }
  const names = new Set(recorded.map((r) => r.name));
  t.deepEqual(Object.keys(FORWARDS).filter((n) => !names.has(n)), [], 'FORWARDS names commands that do not exist');
});

test('every field an option is forwarded to exists in its method’s schema', (t) => {
  const fields = new Set(schemaFields());
  for (const [command, options] of Object.entries(FORWARDS)) {
    for (const [option, destination] of Object.entries(options)) {
      for (const field of destinations(destination)) t.true(fields.has(field), `${command} --${option} forwards to ${field}, which no schema has`);
    }
  }
  for (const field of Object.keys(INTERNAL)) t.true(fields.has(field), `INTERNAL lists ${field}, which no schema has`);
});

test('every schema field is reached by some option, or is set by the CLI itself / kept for protocol clients, with a reason', (t) => {
  const reached = new Set(Object.values(FORWARDS).flatMap((options) => Object.values(options).flatMap(destinations)));
  const covered = (field: string): boolean => reached.has(field) || field in INTERNAL;
  const fields = schemaFields();
  t.true(fields.length >= 90, `fields found: ${fields.length}`);
  for (const field of fields) {
    const [area, verb, ...rest] = field.split('.');
    const method = `${area}.${verb}` as MethodName;
    const standIn = PROTOCOL_ONLY[method];
    if (standIn) {
      t.true(covered(`${standIn}.${rest.join('.')}`), `${field}: ${method} is covered by ${standIn}, which has no such reachable field`);
      continue;
    }
    t.true(covered(field), `${field} is reached by no CLI option and not listed in INTERNAL`);
  }
});
