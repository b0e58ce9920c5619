// Where the bench finds the dependencies it borrows from the workspace
// (node-pty and @xterm/headless for the bare floors) and built modules; the
// repository root and the built ccx are the testkit's ROOT and CCX_BIN.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../packages/testkit/dist/index.js';

/** require() as seen from the daemon package, which depends on node-pty and xterm. */
export const daemonRequire = createRequire(join(ROOT, 'packages', 'daemon', 'package.json'));

/** Imports a built module of a workspace package, e.g. ('shared', 'index.js'). */
export function importDist(pkg, file) {
  return import(pathToFileURL(join(ROOT, 'packages', pkg, 'dist', file)).href);
}
