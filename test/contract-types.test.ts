/**
 * The method and event contracts are checked by the compiler (issue 13,
 * points 1 and 2): test/fixtures/contract-types/misuse.ts holds one misuse
 * per line, each marked `@ts-expect-error`. tsc passes only if every one of
 * them is an error, so this fails as soon as a handler's result, a stream's
 * frames, a caller's params or result, or an event's payload is no longer
 * checked. Runs the repository's own tsc on the built declarations.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers/ccx.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PROJECT = join(ROOT, 'test', 'fixtures', 'contract-types', 'tsconfig.json');

function tsc(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('tsc rejects every misuse of the contracts: wrong handler results or frames, wrong params or results at call sites, wrong event payloads', async (t) => {
  const r = await tsc(['-p', PROJECT, '--pretty', 'false']);
  t.is(r.code, 0, `tsc accepted a misuse the contract should reject:\n${r.output}`);
});
