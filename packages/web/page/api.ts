/** Calls to the gateway's API from the page: same origin, the cookie authenticates. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'E_HTTP', data?.error?.message ?? `HTTP ${res.status}`);
  return data as T;
}

/** The fields of a session the page shows (the daemon's SessionInfo). */
export interface Session {
  id: string;
  name: string | null;
  status: 'running' | 'exited' | 'cancelled' | 'failed' | 'lost';
  activity: 'busy' | 'idle' | 'waiting' | null;
  waitingFor?: 'permission' | 'input' | null;
  command: string[];
  exitCode: number | null;
  signal: string | null;
  createdAt: string;
  preset: string | null;
  /** Structured agent sessions (start --agent claude): their kind, and more. */
  agent?: { kind: string } | null;
}

export interface Approval {
  session: string;
  request: string;
  kind: string;
  /** Agent sessions: the tool Claude Code asks to run, and its input. */
  tool?: string;
  input?: unknown;
  since: string | null;
}

/** A cancelled session was stopped on purpose: the page calls that "aborted", not an error. */
export function statusLabel(s: Session): string {
  if (s.status === 'cancelled') return 'aborted';
  if (s.status === 'running' && s.activity) return s.activity === 'waiting' && s.waitingFor ? `running · waiting:${s.waitingFor}` : `running · ${s.activity}`;
  return s.status;
}

export function exitLabel(s: Session): string {
  if (s.signal) return s.signal;
  return s.exitCode === null ? '' : String(s.exitCode);
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}
