import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `pnpm build` (scripts/build-page.mjs) puts the page: dist/page beside the compiled server. */
export const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

/**
 * Security headers of every page answer: no framing (clickjacking), scripts
 * and connections only from this origin, no referrer (the token lives in
 * the fragment, which is never sent, but nothing else leaks either).
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** The app's URLs: every one is the same page, which routes on location.pathname. */
export function isPagePath(pathname: string): boolean {
  return pathname === '/' || pathname === '/sessions' || /^\/session\/[^/]+$/.test(pathname);
}

/** Serves index.html for page paths and files under /assets/; false when the path is neither. */
export async function serveStatic(res: ServerResponse, pathname: string, pageDir = PAGE_DIR): Promise<boolean> {
  let file: string;
  if (isPagePath(pathname)) file = join(pageDir, 'index.html');
  else if (pathname.startsWith('/assets/')) {
    file = normalize(join(pageDir, pathname.slice('/assets/'.length)));
    if (!file.startsWith(pageDir.endsWith(sep) ? pageDir : pageDir + sep)) return false;
  } else return false;
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    if (!isPagePath(pathname)) return false;
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`the page is not built (${file} is missing): run pnpm build\n`);
    return true;
  }
  const ext = file.slice(file.lastIndexOf('.'));
  res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'content-length': data.length, 'cache-control': 'no-cache', ...PAGE_HEADERS });
  res.end(data);
  return true;
}
