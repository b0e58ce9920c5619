import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-io.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Route<D> {
  method: HttpMethod;
  /** `/api/session/:id/status`: `:name` segments become params. */
  path: string;
  summary: string;
  handler(ctx: RouteContext, deps: D): Promise<void> | void;
}

/**
 * What a session id or name in a URL may look like: a name's characters
 * (letters, digits, `.`, `_`, `-`, starting with a letter or digit), at most
 * 64. Anything else is a malformed id (400), never sent to the daemon;
 * well-formed but unknown is the daemon's E_NOT_FOUND (404).
 */
const SESSION_REF = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** An approval request id: the agent's own ids, or `permission` for a TUI's dialog. */
const REQUEST_REF = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const PARAM_RULES: Record<string, { pattern: RegExp; what: string }> = {
  id: { pattern: SESSION_REF, what: 'a session id or name (letters, digits, ".", "_", "-"; at most 64)' },
  req: { pattern: REQUEST_REF, what: 'an approval request id' },
};

export type Match<D> = { route: Route<D>; params: Record<string, string> } | { allowed: HttpMethod[] } | undefined;

/** Finds the route for a method and path; `{allowed}` when the path exists for other methods (405). */
export function matchRoute<D>(routes: readonly Route<D>[], method: string, pathname: string): Match<D> {
  const segments = pathname.split('/');
  const allowed: HttpMethod[] = [];
  for (const route of routes) {
    const params = matchPath(route.path, segments);
    if (!params) continue;
    if (route.method === method) {
      for (const [name, value] of Object.entries(params)) {
        const rule = PARAM_RULES[name];
        if (rule && !rule.pattern.test(value)) throw new HttpError(400, 'E_USAGE', `malformed ${name} in the URL: ${JSON.stringify(value.slice(0, 80))} is not ${rule.what}`);
      }
      return { route, params };
    }
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

function matchPath(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    if (part.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        value = segment;
      }
      if (value === '') return undefined;
      params[part.slice(1)] = value;
    } else if (part !== segment) return undefined;
  }
  return params;
}
