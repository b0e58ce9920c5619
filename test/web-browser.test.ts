import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { homesFor, startSession, tempDirsFor, waitFor, type Home } from './helpers/ccx.js';
import { CLAUDE_BIN, claudeEnv, claudeHome, claudeStartArgs, envArgs, fakeApiFor, throttledClaudeStart, writtenLine } from './helpers/claude.js';
import { http, startGateway, type Gateway } from './helpers/web-gateway.js';

/**
 * Issue 15: the page in a real headless Chromium (Debian's `chromium`;
 * .ci/run installs it), driven by puppeteer-core, against `ccx web` and a
 * real daemon. Screenshots go to CCX_WEB_SCREENSHOTS (default: a temp dir,
 * printed in the test log).
 */
const CHROMIUM = process.env.CCX_CHROMIUM ?? '/usr/bin/chromium';
const home = homesFor(test);
const newDir = tempDirsFor(test, 'ccxw-');
const fakeApi = fakeApiFor(test);
let h: Home;
let gw: Gateway;
let browser: Browser;
let page: Page;
const shots = process.env.CCX_WEB_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'ccx-web-shots-'));

test.before(async () => {
  h = home();
  gw = await startGateway(h);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start: --no-sandbox is required there.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1100,760'],
    defaultViewport: { width: 1100, height: 760 },
  });
  // Ended in teardown by pid, like every process a test starts.
  h.track(browser.process()?.pid);
  page = await browser.newPage();
});
test.after.always(async () => {
  const pid = browser?.process()?.pid;
  await Promise.race([browser?.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  await gw?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) as `${string}.png` });
/** The terminal as the page shows it (xterm.js's DOM renderer: one div per row). */
const terminalText = () => page.$eval('.xterm-rows', (rows) => (rows as HTMLElement).innerText).catch(() => '');
const waitTerminal = (needle: RegExp, what: string) => waitFor(async () => needle.test(await terminalText()), 30_000, what);
const statusText = () => page.$eval('#session-status', (n) => n.textContent ?? '').catch(() => '');

test.serial('the tokenized URL logs in: the token leaves the address bar for an HttpOnly cookie', async (t) => {
  t.log(`screenshots: ${shots}`);
  await http(gw, 'POST', '/api/sessions', { body: { command: ['bash', '--norc', '--noprofile'], name: 'listed' } });
  await page.goto(gw.url);
  await page.waitForSelector('#sessions-table tr[data-id]', { timeout: 30_000 });
  t.is(await page.evaluate(() => location.hash), '');
  t.is(await page.evaluate(() => location.pathname), '/sessions');
  const cookies = await browser.cookies();
  const cookie = cookies.find((c) => c.name === `ccx_web_${gw.port}`);
  t.truthy(cookie);
  t.true(cookie!.httpOnly);
  t.is(cookie!.sameSite, 'Strict');
  t.false(await page.evaluate(() => document.cookie.includes('ccx_web')));
});

test.serial('once logged in, the page lists the sessions', async (t) => {
  await page.goto(`${gw.origin}/sessions`);
  await page.waitForSelector('#sessions-table tr[data-id]', { timeout: 30_000 });
  const row = await page.$eval('#sessions-table tr[data-id]', (tr) => tr.textContent ?? '');
  t.regex(row, /listed/);
  t.regex(row, /running/);
  await shot('01-list');
});

test.serial('bash started from the form shows in the terminal of its page', async (t) => {
  await page.goto(`${gw.origin}/sessions`);
  await page.waitForSelector('#start-form');
  await page.$eval('#start-form input[name=command]', (i) => ((i as HTMLInputElement).value = ''));
  await page.type('#start-form input[name=command]', 'bash --norc --noprofile');
  await page.type('#start-form input[name=name]', 'frompage');
  await page.click('#start-form button[type=submit]');
  await page.waitForFunction(() => location.pathname.startsWith('/session/'), { timeout: 30_000 });
  await waitTerminal(/[$#] *$/m, 'the bash prompt in the terminal');
  t.regex(await statusText(), /running/);
});

test.serial('`echo hi` typed into the terminal of the page comes back', async (t) => {
  await page.click('#terminal');
  await page.keyboard.type('echo hi-$((2+3))\n');
  await waitTerminal(/^hi-5$/m, 'the output of the typed echo');
  t.regex(await terminalText(), /^hi-5$/m);
  await shot('02-terminal');
});

test.serial('the prompt box sends a turn that the program runs', async (t) => {
  await page.type('#prompt-form textarea', 'echo from-box-$((4+4))');
  await page.click('#prompt-form button[type=submit]');
  await waitTerminal(/^from-box-8$/m, 'the prompt box text run by bash');
  t.is(await page.$eval('#prompt-form textarea', (n) => (n as HTMLTextAreaElement).value), '');
  await shot('03-prompt');
});

test.serial('Abort stops the running program at once: shown as aborted, the log kept', async (t) => {
  await page.type('#prompt-form textarea', 'sleep 600');
  await page.click('#prompt-form button[type=submit]');
  await waitTerminal(/sleep 600/, 'the sleep typed');
  await page.click('#abort');
  await waitFor(async () => (await statusText()) === 'aborted', 30_000, 'status aborted');
  const id = await page.evaluate(() => location.pathname.split('/').pop()!);
  const status = await http(gw, 'GET', `/api/session/${id}/status`);
  t.is(status.json.status, 'cancelled');
  const logs = await http(gw, 'GET', `/api/session/${id}/logs`);
  t.regex(logs.json.text, /from-box-8/);
  t.true(await page.$eval('#abort', (b) => (b as HTMLButtonElement).disabled));
  await shot('04-aborted');
  await page.goto(`${gw.origin}/sessions`);
  await page.waitForSelector(`#sessions-table tr[data-id="${id}"]`);
  t.is(await page.$eval(`#sessions-table tr[data-id="${id}"] td.status`, (n) => n.textContent), 'aborted');
});

test.serial('after ccx daemon restart the page shows the disconnected banner', async (t) => {
  await page.goto(`${gw.origin}/sessions`);
  await page.waitForSelector('#sessions-table tr[data-id]');
  await page.waitForFunction(() => (document.getElementById('banner') as HTMLElement).hidden, { timeout: 30_000 });
  // Records whether the banner was ever shown, however briefly.
  await page.evaluate(() => {
    const banner = document.getElementById('banner')!;
    (window as Window & { bannerShown?: boolean }).bannerShown = false;
    new MutationObserver(() => {
      if (!banner.hidden) (window as Window & { bannerShown?: boolean }).bannerShown = true;
    }).observe(banner, { attributes: true });
  });
  const restart = await h.ccx(['daemon', 'restart'], { timeoutMs: 120_000 });
  t.is(restart.code, 0, restart.stderr);
  h.track(h.daemonPid());
  await page.waitForFunction(() => (window as Window & { bannerShown?: boolean }).bannerShown === true, { timeout: 30_000 });
  await shot('05-disconnected');
});

test.serial('after ccx daemon restart the page reconnects, listing live again', async (t) => {
  await page.waitForFunction(() => (document.getElementById('banner') as HTMLElement).hidden, { timeout: 60_000 });
  // Live again: a session started now appears through the reconnected event stream.
  const started = await http(gw, 'POST', '/api/sessions', { body: { command: ['bash', '--norc', '--noprofile'], name: 'afterrestart' } });
  t.is(started.status, 201, started.text);
  await page.waitForSelector(`#sessions-table tr[data-id="${started.json.id}"]`, { timeout: 30_000 });
  await shot('06-reconnected');
  t.pass();
});

/** On a failure, what the page showed says which step did not happen. */
const logPageState = async (t: ExecutionContext): Promise<void> =>
  t.log(`status: ${await statusText()}; approvals: ${await page.$eval('#approvals', (n) => n.textContent).catch(() => '?')}; message: ${await page.$eval('#session-message', (n) => n.textContent).catch(() => '?')}`);

/** The work dir of the Claude Code TUI session of the two tests below. */
let claudeWork = '';

test.serial("a Claude Code session's permission dialog shows on its page", async (t) => {
  // The real Claude Code TUI, offline against the fake Messages API, asking before it runs tools.
  const work = mkdtempSync(join(newDir(), 'w-'));
  claudeWork = work;
  const started = await throttledClaudeStart(() => h.ccx(claudeStartArgs(fakeApi(), work, claudeHome(newDir()), { args: ['--permission-mode', 'default'] }), { timeoutMs: 120_000 }));
  t.is(started.code, 0, started.stderr);
  // On a failure, what the page showed says which step did not happen.
  t.teardown(() => logPageState(t));
  await page.goto(`${gw.origin}/session/cc`);
  await waitFor(async () => /idle/.test(await statusText()), 60_000, 'Claude Code idle at its prompt');
  await page.type('#prompt-form textarea', 'run echo web-approved > out.txt');
  await page.click('#prompt-form button[type=submit]');
  await page.waitForSelector('#approvals .approval[data-request=permission] button.allow', { timeout: 90_000 });
  t.regex(await statusText(), /waiting:permission/);
  t.false(existsSync(join(work, 'out.txt')), 'nothing ran before the answer');
  await waitTerminal(/Do you want to proceed\?/, 'the dialog in the terminal');
  await shot('07-approval');
});

test.serial("Allow on a Claude Code session's page runs the tool", async (t) => {
  const work = claudeWork;
  t.teardown(() => logPageState(t));
  await page.click('#approvals button.allow');
  const written = await waitFor(() => writtenLine(join(work, 'out.txt')), 90_000, 'the allowed command to write its output');
  t.is(written, 'web-approved\n');
  await page.waitForFunction(() => document.querySelectorAll('#approvals .approval').length === 0, { timeout: 60_000 });
  await h.ccx(['kill', 'cc']);
});

const conversation = () => page.$eval('#conversation', (n) => (n as HTMLElement).innerText).catch(() => '');
const logConversationState = async (t: ExecutionContext): Promise<void> =>
  t.log(`status: ${await statusText()}; approvals: ${await page.$eval('#approvals', (n) => n.textContent).catch(() => '?')}; conversation: ${await conversation()}`);

/** The structured agent session of the two tests below, and the file its tool use touches. */
let agentWeb: { id: string; file: string } | undefined;

test.serial("a structured agent session's page shows the tool request with Allow/Deny, in the conversation too, while it waits", async (t) => {
  // The real Claude Code on stream-json (start --agent claude), offline against the fake Messages API, asking before tools.
  const work = mkdtempSync(join(newDir(), 'w-'));
  const agent = await startSession(h, ['--name', 'agentweb', '--agent', 'claude', '--permission-mode', 'default', '--cwd', work, ...envArgs(claudeEnv(fakeApi(), claudeHome(newDir()))), '--', CLAUDE_BIN]);
  t.teardown(() => logConversationState(t));
  await page.goto(`${gw.origin}/session/agentweb#token=${gw.token}`);
  await page.waitForSelector('#conversation', { timeout: 30_000 });
  const file = join(work, 'allowed-from-page');
  agentWeb = { id: agent.id, file };
  await page.type('#prompt-form textarea', `run touch ${file}`);
  await page.click('#prompt-form button[type=submit]');
  await page.waitForSelector('#approvals .approval button.allow', { timeout: 120_000 });
  const asked = await page.$eval('#approvals .approval', (n) => n.textContent ?? '');
  t.regex(asked, /Bash/);
  t.true(asked.includes(`touch ${file}`), asked);
  t.false(existsSync(file), 'nothing ran before the answer');
  // The user's message and the tool call with its input are in the conversation while it waits.
  await page.waitForSelector('#conversation .entry-tool-use', { timeout: 60_000 });
  t.true((await page.$eval('#conversation .entry-user', (n) => n.textContent ?? '')).includes(`run touch ${file}`));
  t.true((await page.$eval('#conversation .entry-tool-use', (n) => n.textContent ?? '')).includes(`"command": "touch ${file}"`));
  await shot('09-agent-approval');
});

test.serial("after Allow, a structured agent session's page shows the tool result, the answer", async (t) => {
  const { id, file } = agentWeb!;
  t.teardown(() => logConversationState(t));
  await page.click('#approvals .approval button.allow');
  await page.waitForSelector('#conversation .entry-tool-result', { timeout: 120_000 });
  await waitFor(async () => /ran: \(Bash completed with no output\)/.test(await conversation()), 120_000, 'the final answer in the conversation');
  t.true(existsSync(file));
  t.regex(await page.$eval('#conversation .entry-tool-result', (n) => n.textContent ?? ''), /tool result/);
  t.is(await page.$$eval('#conversation .entry-error', (n) => n.length), 0);
  await page.waitForFunction(() => document.querySelectorAll('#approvals .approval').length === 0, { timeout: 60_000 });
  // The turn's result entry follows the answer's text; it once came after the check (a loaded full run).
  await page.waitForSelector('#conversation .entry[data-kind="result"]', { timeout: 60_000 });
  t.deepEqual(await page.$$eval('#conversation .entry', (ns) => ns.map((n) => (n as HTMLElement).dataset.kind)), ['user', 'tool-use', 'tool-result', 'text', 'result']);
  // No terminal socket for an agent session: nothing to reconnect to, so no banner.
  t.true(await page.$eval('#banner', (n) => (n as HTMLElement).hidden));
  await shot('10-agent-conversation');
  await h.ccx(['cancel', id]);
});

test.serial('the page keeps up with a 20 MB flood (responsive throughout, showing what came last at the end)', async (t) => {
  const started = await http(gw, 'POST', '/api/sessions', { body: { command: ['bash', '--norc', '--noprofile'], name: 'flood' } });
  t.is(started.status, 201, started.text);
  await page.goto(`${gw.origin}/session/${started.json.id}#token=${gw.token}`);
  await waitTerminal(/[$#] *$/m, 'the bash prompt');
  await http(gw, 'POST', `/api/session/${started.json.id}/prompt`, { body: { text: "head -c 20000000 /dev/zero | tr '\\0' y | fold -w 100; echo FLOOD-END-$((6*7))" } });
  // While the flood is drawn the page still answers (its event loop is not starved by the writes).
  let answered = 0;
  await waitFor(
    async () => {
      answered += (await page.evaluate(() => 1)) as number;
      return /FLOOD-END-42/.test(await terminalText());
    },
    240_000,
    'the end of the flood in the terminal',
  );
  t.true(answered > 0);
  await shot('08-flood');
});
