/**
 * The README is checked as code: its quick start is run line by line in a
 * shell (with this build as `ccx`) and must print what its comments say, and
 * it links only to files in this repository.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ccxOnPath, homesFor, ROOT } from './helpers/ccx.js';

const home = homesFor(test);
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first fenced block: the quick start. Each line is a command and a `# what it prints` comment. */
function quickStart(): Array<{ command: string; comment: string }> {
  const block = /```\n([\s\S]*?)```/.exec(README)![1]!;
  return block
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const m = /^(.*?)\s+#\s+(.*)$/.exec(l)!;
      return { command: m[1]!, comment: m[2]! };
    });
}

function sh(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the README quick start does what it shows: an id, the answer 42, the session in list, a cancel that succeeds', async (t) => {
  const h = home();
  const env = { ...h.env, PATH: `${ccxOnPath(h)}:${process.env.PATH}` };
  const lines = quickStart();
  t.is(lines.length, 4, 'start, send, list, cancel');
  const [start, send, list, cancel] = lines as [typeof lines[0], typeof lines[0], typeof lines[0], typeof lines[0]];
  const started = await sh(start.command, env);
  t.is(started.code, 0, started.stderr);
  t.regex(started.stdout, /^[a-z2-7]{8}\n$/, start.comment);
  const answer = /prints the answer: (\S+)/.exec(send.comment)?.[1];
  t.truthy(answer, `the send line says what it prints: ${send.comment}`);
  const sent = await sh(send.command, env);
  t.is(sent.code, 0, sent.stderr);
  t.is(sent.stdout, `${answer}\n`);
  const listed = await sh(list.command, env);
  t.is(listed.code, 0, listed.stderr);
  t.regex(listed.stdout, new RegExp(`^${started.stdout.trim()}\\s+py\\s+running`, 'm'));
  const cancelled = await sh(cancel.command, env);
  t.is(cancelled.code, 0, cancelled.stderr);
});

test('the README links only to files in this repository (nothing under ../shared)', (t) => {
  t.false(README.includes('../shared'), 'README mentions ../shared, which users do not have');
  const links = [...README.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^(https?:|#|mailto:)/.test(l));
  t.true(links.length > 0);
  for (const link of links) t.true(existsSync(join(ROOT, link.split('#')[0]!)), `README links to ${link}, which is not in the repository`);
});
