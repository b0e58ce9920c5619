import { readFileSync } from 'node:fs';
import { CcxError } from '@ccx/shared';

/** A daemon on another machine, reached with `ssh … ccx daemon dial-stdio`. */
export interface HostTarget {
  /** What the user called it: a name from the config file, or the URL. */
  label: string;
  user?: string;
  hostname: string;
  port?: number;
  /** The far side's `ccx`, as its shell finds it. */
  ccxPath: string;
}

/** A named host in the config file: a URL, or a URL and the far side's ccx path. */
type HostEntry = string | { url: string; ccx?: string };

const LOCAL_NAMES = new Set(['', 'local']);

/** True when CCX_HOST (or --host) names another machine. */
export function isRemoteSpec(spec: string | undefined): spec is string {
  return spec !== undefined && !LOCAL_NAMES.has(spec.trim());
}

/**
 * `ssh://[user@]host[:port]`, as docker's `-H ssh://` takes it. A host name
 * that starts with `-` is refused: ssh would read it as an option.
 */
export function parseSshUrl(url: string): { user?: string; hostname: string; port?: number } {
  const m = /^ssh:\/\/(?:([^@/\s]+)@)?(\[[0-9a-fA-F:.]+\]|[^:/@\s[\]]+)(?::(\d{1,5}))?\/?$/.exec(url.trim());
  if (!m || m[2]!.startsWith('-')) {
    throw new CcxError('E_USAGE', `not a host URL: ${JSON.stringify(url)}`, 'give ssh://[user@]host[:port], a host named in the config file, or local');
  }
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new CcxError('E_USAGE', `port out of range in ${url}`, 'a port is 1-65535');
  const hostname = m[2]!.replace(/^\[(.*)\]$/, '$1');
  return { ...(m[1] ? { user: decodeURIComponent(m[1]) } : {}), hostname, ...(port ? { port } : {}) };
}

/** The `hosts` object of the config file; a missing or unreadable file has none. */
export function readNamedHosts(configFile: string): Record<string, HostEntry> {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch {
    return {};
  }
  if (text.trim() === '') return {};
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new CcxError('E_USAGE', `the config file is not valid JSON: ${configFile}: ${(error as Error).message}`, `fix or remove ${configFile}`);
  }
  const hosts = (config as { hosts?: unknown } | null)?.hosts;
  if (hosts === undefined) return {};
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts)) {
    throw new CcxError('E_USAGE', `"hosts" in ${configFile} must be an object of name → "ssh://user@host[:port]"`, 'example: {"hosts": {"build": "ssh://me@build:2222"}}');
  }
  return hosts as Record<string, HostEntry>;
}

/**
 * Resolves `--host`/`CCX_HOST`: a URL, or a name from the config file's
 * `hosts`. The far side's ccx is `ccx` from its PATH unless the host entry
 * gives `ccx`, or CCX_REMOTE_CCX overrides it for every host.
 */
export function resolveHost(spec: string, configFile: string, env: NodeJS.ProcessEnv): HostTarget {
  const trimmed = spec.trim();
  let url = trimmed;
  let ccxPath: string | undefined;
  if (!trimmed.startsWith('ssh://')) {
    const hosts = readNamedHosts(configFile);
    const entry = Object.hasOwn(hosts, trimmed) ? hosts[trimmed] : undefined;
    if (entry === undefined) {
      const names = Object.keys(hosts);
      throw new CcxError(
        'E_USAGE',
        `unknown host ${JSON.stringify(trimmed)}${names.length ? ` (named hosts: ${names.join(', ')})` : ''}`,
        `give ssh://[user@]host[:port], or name it in ${configFile}: {"hosts": {"${trimmed}": "ssh://user@host"}}`,
      );
    }
    if (typeof entry === 'string') url = entry;
    else if (entry && typeof entry === 'object' && typeof entry.url === 'string') {
      url = entry.url;
      if (typeof entry.ccx === 'string' && entry.ccx) ccxPath = entry.ccx;
    } else {
      throw new CcxError('E_USAGE', `host ${JSON.stringify(trimmed)} in ${configFile} needs a URL`, 'e.g. "build": "ssh://me@build:2222" or "build": {"url": "ssh://me@build", "ccx": "/opt/ccx/bin/ccx"}');
    }
  }
  return { label: trimmed, ...parseSshUrl(url), ccxPath: env.CCX_REMOTE_CCX || ccxPath || 'ccx' };
}

/** `user@host` (or `host`) for messages and for ssh's destination argument. */
export function destination(target: HostTarget): string {
  return target.user ? `${target.user}@${target.hostname}` : target.hostname;
}
