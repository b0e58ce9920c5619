// Where the bench finds the built ccx and the dependencies it borrows from the
// workspace (node-pty and @xterm/headless for the bare floors).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CCX_BIN = join(ROOT, 'packages', 'cli', 'bin', 'ccx');

/** require() as seen from the daemon package, which depends on node-pty and xterm. */
export const daemonRequire = createRequire(join(ROOT, 'packages', 'daemon', 'package.json'));

/** Imports a built module of a workspace package, e.g. ('shared', 'index.js'). */
export function importDist(pkg, file) {
  return import(pathToFileURL(join(ROOT, 'packages', pkg, 'dist', file)).href);
}
