import { basename } from 'node:path';
import type { CommandModule } from 'yargs';
import { COMPLETION_SCRIPTS } from '../completion/scripts.js';
import { COMPLETION_SHELLS } from '../completion/complete.js';
import { usageError } from '../output.js';

interface CompletionArgs {
  shell?: string;
}

export const completionCommand: CommandModule<object, CompletionArgs> = {
  command: 'completion [shell]',
  describe: 'Print a tab-completion script for bash, zsh or fish (commands, options, session names and ids)',
  builder: (y) =>
    y
      .positional('shell', { type: 'string', choices: COMPLETION_SHELLS, describe: 'the shell; default: the one $SHELL names, else bash' })
      .example('$0 completion bash >> ~/.bashrc', 'bash')
      .example('$0 completion zsh >> ~/.zshrc', 'zsh')
      .example('$0 completion fish > ~/.config/fish/completions/ccx.fish', 'fish') as never,
  handler: (argv) => {
    const fromEnv = basename(process.env.SHELL ?? '');
    const shell = argv.shell ?? ((COMPLETION_SHELLS as readonly string[]).includes(fromEnv) ? fromEnv : 'bash');
    if (!(shell in COMPLETION_SCRIPTS)) throw usageError(`no completion for ${shell}`, `one of: ${COMPLETION_SHELLS.join(', ')}`);
    process.stdout.write(COMPLETION_SCRIPTS[shell as keyof typeof COMPLETION_SCRIPTS]);
  },
};
