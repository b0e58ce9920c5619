#!/usr/bin/env node
// Bundles the browser page (page/*.ts, xterm.js and its fit addon, their CSS)
// into dist/page/, served by the gateway from its own origin: no CDN, so the
// page works offline and its Content-Security-Policy can say 'self' only.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(web, 'dist', 'page');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(web, 'page', 'main.ts')],
  outfile: join(out, 'main.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
const require = createRequire(join(web, 'package.json'));
copyFileSync(require.resolve('@xterm/xterm/css/xterm.css'), join(out, 'xterm.css'));
copyFileSync(join(web, 'page', 'index.html'), join(out, 'index.html'));
copyFileSync(join(web, 'page', 'style.css'), join(out, 'style.css'));
