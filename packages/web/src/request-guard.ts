import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Who may talk to the gateway. A browser is a hostile place: any page it
 * shows may send requests to 127.0.0.1, and a DNS name can be rebound to it.
 * So the Host header must name the address the server is bound to (a
 * rebound name does not), and a request that carries an Origin must come
 * from this server's own origin (a foreign page's fetch, form, EventSource or
 * WebSocket always says where it comes from). Programs (curl) send no Origin
 * and authenticate with the Bearer token.
 */
export class RequestGuard {
  private readonly hosts: Set<string>;
  private readonly anyIpLiteral: boolean;

  constructor(
    private readonly bind: string,
    private readonly port: number,
  ) {
    const hostPart = isIP(bind) === 6 ? `[${bind}]` : bind;
    this.hosts = new Set([`${hostPart}:${port}`]);
    if (isLoopback(bind)) this.hosts.add(`localhost:${port}`);
    // Bound to every address: any IP literal names it (a DNS name might be rebound), localhost too.
    this.anyIpLiteral = bind === '0.0.0.0' || bind === '::';
    if (this.anyIpLiteral) this.hosts.add(`localhost:${port}`);
  }

  /** The Host header names this server. */
  hostAllowed(req: IncomingMessage): boolean {
    const host = (req.headers.host ?? '').toLowerCase();
    if (this.hosts.has(host)) return true;
    if (!this.anyIpLiteral) return false;
    const m = /^(\[[0-9a-f:.]+\]|[0-9.]+):(\d+)$/.exec(host);
    return !!m && Number(m[2]) === this.port && isIP(m[1]!.replace(/^\[|\]$/g, '')) !== 0;
  }

  /** No Origin (a program), or exactly this server's origin; `null` (sandboxed, file://) is foreign. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const m = /^http:\/\/(.+)$/i.exec(origin);
    return !!m && m[1]!.toLowerCase() === (req.headers.host ?? '').toLowerCase() && this.hostAllowed(req);
  }

  /** The URL a user opens (loopback binds show 127.0.0.1). */
  baseUrl(): string {
    const host = this.bind === '0.0.0.0' ? '127.0.0.1' : this.bind === '::' ? '[::1]' : isIP(this.bind) === 6 ? `[${this.bind}]` : this.bind;
    return `http://${host}:${this.port}`;
  }
}

export function isLoopback(address: string): boolean {
  return address === '127.0.0.1' || address === '::1' || address === 'localhost' || /^127\./.test(address);
}
