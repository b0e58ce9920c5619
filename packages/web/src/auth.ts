import { statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { readOrCreateToken, tokensEqual } from './token-store.js';

/**
 * The token, re-read when its file changes, so `ccx web --rotate-token`
 * while a gateway runs locks out the old token at once.
 */
export class TokenSource {
  private cached: { token: string; key: string } | undefined;

  constructor(
    private readonly file: string,
    private readonly uid: number,
  ) {}

  current(): string {
    let key = '';
    try {
      const s = statSync(this.file);
      key = `${s.ino}:${s.mtimeMs}:${s.size}`;
    } catch {}
    if (!this.cached || this.cached.key !== key || key === '') {
      const token = readOrCreateToken(this.file, this.uid);
      const s = statSync(this.file);
      this.cached = { token, key: `${s.ino}:${s.mtimeMs}:${s.size}` };
    }
    return this.cached.token;
  }
}

/**
 * Cookies are not kept apart by port, so two gateways on one host (two
 * CCX_HOMEs) would overwrite each other's: the name carries the port.
 */
export function cookieName(port: number): string {
  return `ccx_web_${port}`;
}

/** The cookie the page gets for its token: never readable by scripts, never sent by another site. */
export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The token a request carries: `Authorization: Bearer …`, else the page's cookie. */
export function presentedToken(req: IncomingMessage, port: number): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1];
  }
  const name = cookieName(port);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function isAuthenticated(req: IncomingMessage, port: number, tokens: TokenSource): boolean {
  const given = presentedToken(req, port);
  return given !== undefined && tokensEqual(given, tokens.current());
}
