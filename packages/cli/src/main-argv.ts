/**
 * `--host URL` may stand anywhere before `--`, for every command: it is
 * taken out of argv and becomes CCX_HOST for this process, so each command
 * reaches the daemon it names without declaring the option itself.
 */
export function takeHostOption(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--host' && i + 1 < argv.length) env.CCX_HOST = argv[++i];
    else if (arg.startsWith('--host=')) env.CCX_HOST = arg.slice('--host='.length);
    else rest.push(arg);
  }
  return rest;
}
