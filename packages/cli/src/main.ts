import { CCX_VERSION } from '@ccx/shared';
import { approvalsCommand } from './commands/approvals.js';
import { approveCommand, denyCommand } from './commands/approve.js';
import { attachCommand } from './commands/attach.js';
import { cancelCommand, killCommand } from './commands/cancel.js';
import { clientsCommand } from './commands/clients.js';
import { completionCommand } from './commands/completion.js';
import { daemonCommand } from './commands/daemon.js';
import { detachCommand } from './commands/detach.js';
import { eventsCommand } from './commands/events.js';
import { hooksCommand } from './commands/hooks.js';
import { interruptCommand } from './commands/interrupt.js';
import { listCommand } from './commands/list.js';
import { logsCommand } from './commands/logs.js';
import { presetsCommand } from './commands/presets.js';
import { pruneCommand, rmCommand } from './commands/remove.js';
import { resizeCommand } from './commands/resize.js';
import { resumeCommand } from './commands/resume.js';
import { runToEndCommand } from './commands/run.js';
import { screenCommand } from './commands/screen.js';
import { sendCommand } from './commands/send.js';
import { startCommand } from './commands/start.js';
import { waitCommand } from './commands/wait.js';
import { webCommand } from './commands/web.js';
import { hoistOptionsAfterText } from './dash-dash-text.js';
import { tryFastPath } from './fast-path.js';
import { takeHostOption } from './main-argv.js';
import { exitQuietlyOnClosedPipes, reportError, usageError } from './output.js';
import type { CommandModule } from 'yargs';

/** Every command, one module each; adding one is adding a line here. */
const COMMANDS: CommandModule<any, any>[] = [startCommand, sendCommand, listCommand, cancelCommand, killCommand, rmCommand, pruneCommand, daemonCommand, eventsCommand, hooksCommand, screenCommand, logsCommand, attachCommand, resizeCommand, clientsCommand, detachCommand, waitCommand, interruptCommand, approveCommand, denyCommand, approvalsCommand, resumeCommand, presetsCommand, runToEndCommand, webCommand, completionCommand];

export async function main(rawArgv: string[]): Promise<void> {
  exitQuietlyOnClosedPipes();
  const given = takeHostOption(rawArgv, process.env);
  // Tab completion: the candidates, one a line, nothing else loaded (it runs on every Tab).
  if (given[0] === '__complete') {
    const { complete } = await import('./completion/complete.js');
    for (const word of complete(COMMANDS, given.slice(1))) process.stdout.write(word + '\n');
    return;
  }
  // `ccx help send` is `ccx send --help`, as git and gh have it.
  const argv = hoistOptionsAfterText(COMMANDS, given[0] === 'help' ? [...given.slice(1), '--help'] : given);
  try {
    if (await tryFastPath(COMMANDS, argv)) return;
  } catch (error) {
    process.exitCode = reportError(error, argv.includes('--json'));
    return;
  }
  // Help, completion, and anything the fast path declined: the full parser.
  const { default: yargs } = await import('yargs');
  let cli = yargs(argv)
    .scriptName('ccx')
    .usage('$0 <command> [options]\n\nKeep interactive terminal programs running in a background daemon, and drive them from any shell or cron.')
    .version(CCX_VERSION)
    .parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false })
    .strict()
    .demandCommand(1, 'give a command; see ccx --help')
    .recommendCommands()
    .example('$0 start --name sh -- bash', 'start a shell session named sh')
    .example('$0 send sh "ls -l"', 'type a command into it')
    .example('$0 list', 'see running sessions')
    .example('$0 help send', 'help on one command (same as ccx send --help)')
    .epilogue('Any command: --host ssh://[user@]host[:port] (or CCX_HOST, or a name from the config file\'s "hosts") reaches the daemon on that machine over ssh.\n\nExit codes: 0 ok, 1 error, 2 usage, 3 session not found, 4 daemon unavailable, 124 timed out.')
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      // With --json the parser's complaint is the same JSON error object as every other error.
      process.exit(reportError(usageError(msg, 'run ccx --help, or ccx <command> --help'), argv.includes('--json')));
    });
  for (const command of COMMANDS) cli = cli.command(command);
  try {
    await cli.parseAsync();
  } catch (error) {
    process.exitCode = reportError(error, argv.includes('--json'));
  }
}

await main(process.argv.slice(2));
