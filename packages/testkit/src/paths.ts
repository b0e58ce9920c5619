/** Where the repository's built pieces are, seen from packages/testkit/dist (the symlink through node_modules is resolved by node). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CCX_BIN = join(ROOT, 'packages', 'cli', 'bin', 'ccx');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
