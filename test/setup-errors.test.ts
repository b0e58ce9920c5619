/**
 * Issue 12 point 6: a setup problem is the user's to fix, never "a bug in
 * ccx": its own code (E_PERMISSION, E_SETUP), exit 4, the path and the fix in
 * the hint. Validation and parser errors speak the command line's language.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CCX_BIN, homesFor } from './helpers/ccx.js';

const home = homesFor(test);
const NOBODY_UID = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
const NOBODY_GID = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function assertSetupError(t: ExecutionContext, r: { code: number; stderr: string }, code: 'E_PERMISSION' | 'E_SETUP', path: string): void {
  t.is(r.code, 4, r.stderr);
  t.true(r.stderr.includes(`[${code}]`), r.stderr);
  t.true(r.stderr.includes(path), r.stderr);
  t.notRegex(r.stderr, /E_INTERNAL|a bug in ccx/);
  t.regex(r.stderr, /\nhint: \S.*/);
}

// Needs root: a read-only directory stops only a user who is not root, so the CLI runs as nobody.
test('a read-only CCX_HOME is E_PERMISSION, exit 4, naming the directory, how to fix it', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'ccxs-'));
  dirs.push(base);
  chmodSync(base, 0o755);
  const ro = join(base, 'home');
  mkdirSync(ro, { mode: 0o500 });
  chownSync(ro, NOBODY_UID, NOBODY_GID);
  const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, [CCX_BIN, 'list'], { uid: NOBODY_UID, gid: NOBODY_GID, env: { ...process.env, CCX_HOME: ro, HOME: '/tmp', XDG_RUNTIME_DIR: '' }, timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
    ),
  );
  assertSetupError(t, r, 'E_PERMISSION', ro);
  t.regex(r.stderr, /permission denied/);
  t.regex(r.stderr, /hint: .*chmod u\+w/);
});

test('a file where state/ should be is E_SETUP, exit 4, with the path, what to move', async (t) => {
  const h = home();
  writeFileSync(join(h.dir, 'state'), 'not a directory\n');
  const r = await h.ccx(['list']);
  assertSetupError(t, r, 'E_SETUP', join(h.dir, 'state'));
  t.regex(r.stderr, /hint: move it away/);
});

test('a file where run/ should be is E_SETUP, exit 4, also as the JSON error object with --json', async (t) => {
  const h = home();
  writeFileSync(join(h.dir, 'run'), '');
  const r = await h.ccx(['list', '--json']);
  t.is(r.code, 4, r.stderr);
  const err = JSON.parse(r.stderr.trim()).error;
  t.is(err.code, 'E_SETUP');
  t.true(err.message.includes(join(h.dir, 'run')), err.message);
  t.regex(err.hint, /move it away/);
});

test('a socket path that is too long is E_SETUP, exit 4, with a shorter CCX_HOME in the hint', async (t) => {
  const h = home();
  const deep = join(h.dir, 'x'.repeat(100));
  mkdirSync(deep);
  const r = await h.ccx(['list'], { env: { CCX_HOME: deep } });
  assertSetupError(t, r, 'E_SETUP', deep);
  t.regex(r.stderr, /socket path is \d+ bytes long/);
  t.regex(r.stderr, /hint: .*CCX_HOME/);
});

test('a validation error names the argument as the user typed it, not the schema', async (t) => {
  const h = home();
  const r = await h.ccx(['send', '', 'hi']);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /^ccx: the session \(ID or name\) must not be empty \[E_USAGE\]/);
  t.notRegex(r.stderr, /Too small|expected string|target:/);
  t.regex(r.stderr, /hint: see: ccx send --help/);
  const cols = await h.ccx(['start', '--cols', '0', '--', 'true']);
  t.is(cols.code, 2, cols.stderr);
  t.regex(cols.stderr, /--cols must be at least 1 \[E_USAGE\]/);
});

test('with --json an argument-parser error is the JSON error object on stderr', async (t) => {
  const h = home();
  for (const args of [['list', '--json', '--no-such-flag'], ['send', '--json']]) {
    const r = await h.ccx(args);
    t.is(r.code, 2, r.stderr);
    t.is(r.stdout, '');
    const err = JSON.parse(r.stderr.trim()).error;
    t.is(err.code, 'E_USAGE');
    t.truthy(err.message);
    t.truthy(err.hint);
  }
});
