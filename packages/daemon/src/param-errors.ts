/**
 * Schema issues said in the words of the command line: `the session (ID or
 * name) must not be empty`, not `target: Too small: expected string to have
 * >=1 characters`. Field names map to what the user typed (`--cols`); a
 * field not listed is shown by its name.
 */

/** What the user calls each request field. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  target: 'the session (ID or name)',
  targets: 'the sessions (IDs or names)',
  command: 'the command',
  name: '--name',
  cwd: '--cwd',
  env: '--env',
  cols: '--cols',
  rows: '--rows',
  preset: '--preset',
  text: 'the text',
  keys: '--key',
  key: '--key',
  graceMs: '--grace',
  timeoutMs: '--timeout',
  idleMs: '--idle',
  until: '--until',
  since: '--since',
  tail: '--tail',
  url: 'the URL',
  level: '--level',
  events: '--event',
  sessions: '--session',
  headers: '--header',
  secret: '--secret',
  label: '--label',
  olderThanMs: '--older-than',
};

/** The parts of a zod issue this needs (zod 4's shape), kept structural so the CLI never imports zod. */
export interface ParamIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  expected?: string;
  values?: unknown[];
  keys?: string[];
}

function labelOf(path: PropertyKey[]): string {
  const field = path.find((p): p is string => typeof p === 'string');
  if (field === undefined) return 'the request';
  return FIELD_LABELS[field] ?? field;
}

function describeIssue(issue: ParamIssue): string {
  const label = labelOf(issue.path);
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return `${label} must not be empty`;
      if (issue.origin === 'array' && Number(issue.minimum) === 1) return `${label}: give at least one`;
      if (issue.origin === 'string') return `${label} must be at least ${issue.minimum} characters long`;
      if (issue.origin === 'array') return `${label}: give at least ${issue.minimum}`;
      return `${label} must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `${label} is too long (at most ${issue.maximum} characters)`;
      if (issue.origin === 'array') return `${label}: at most ${issue.maximum} are allowed`;
      return `${label} must be at most ${issue.maximum}`;
    case 'invalid_type':
      if (issue.expected === 'int') return `${label} must be a whole number`;
      return `${label} must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected ?? 'value of another kind'}`}`;
    case 'invalid_value':
      return `${label} must be one of: ${(issue.values ?? []).map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown option${(issue.keys?.length ?? 0) > 1 ? 's' : ''}: ${(issue.keys ?? []).join(', ')}`;
    default:
      // Custom and format checks carry a message written for people (schemas.ts), e.g. `an http:// or https:// URL`.
      if (/^an? /.test(issue.message)) return `${label} must be ${issue.message}`;
      return `${label}: ${issue.message.replace(/^Invalid string: /, '')}`;
  }
}

/** One sentence for up to five issues. */
export function describeParamIssues(issues: readonly ParamIssue[]): string {
  return [...new Set(issues.slice(0, 5).map(describeIssue))].join('; ');
}

/** `ccx send --help` for `session.send`, `ccx hooks add --help` for `hooks.add`. */
/** Methods whose CLI command has another name (every `ccx send` is a `session.turn`). */
const COMMAND_OF_METHOD: Record<string, string> = { 'session.turn': 'send', 'session.logs': 'logs' };

export function helpHintFor(method: string): string {
  const command = COMMAND_OF_METHOD[method] ?? (method.startsWith('session.') ? method.slice('session.'.length) : method.replace('.', ' '));
  return `see: ccx ${command} --help`;
}
