import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CcxError } from '@ccx/shared';
import type { Logger } from '../logger.js';
import type { ProcessScope } from '../process/session-processes.js';
import { SESSION_ENV_MARKER } from '../process/session-processes.js';
import { withUmask } from '../process/umask.js';
import { checkCwd, resolveExecutable } from '../session/spawn-check.js';
import type { AgentRecord } from './agent-record.js';

/** Claude Code's arguments for the stream-json control protocol, after the user's own. */
export function claudeArgs(userArgs: string[], agent: AgentRecord, resume: boolean): string[] {
  return [
    ...userArgs,
    '-p',
    '--input-format', 'stream-json',
    '--output-format', 'stream-json',
    '--verbose',
    '--permission-prompt-tool', 'stdio',
    ...(agent.model ? ['--model', agent.model] : []),
    ...(agent.permissionMode ? ['--permission-mode', agent.permissionMode] : []),
    ...(resume && agent.claudeSessionId ? ['--resume', agent.claudeSessionId] : []),
  ];
}

export interface ClaudeSpawn {
  sessionId: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  umask?: number;
  agent: AgentRecord;
  resume: boolean;
  processes: ProcessScope;
  logger: Logger;
}

/**
 * Starts Claude Code on pipes, found as a PTY session's program is: its own
 * process group (cancel signals the group), the session's env marker and
 * cgroup. Throws E_SPAWN (or checkCwd's error) when it cannot start.
 */
export function spawnClaude(o: ClaudeSpawn): ChildProcessWithoutNullStreams {
  const [command, ...userArgs] = o.command as [string, ...string[]];
  const env: Record<string, string> = { ...o.env, [SESSION_ENV_MARKER]: o.sessionId };
  const args = claudeArgs(userArgs, o.agent, o.resume);
  try {
    checkCwd(o.cwd);
    const file = resolveExecutable(command, o.cwd, env.PATH);
    const fork = (): ChildProcessWithoutNullStreams => {
      const started = withUmask(o.umask, () => spawn(file, args, { cwd: o.cwd, env, stdio: 'pipe', detached: true }));
      // At once: a spawn that fails later (EACCES, ENOENT) emits 'error', which unheard would end the daemon.
      started.on('error', (error) => o.logger.warn('Claude Code process error', { session: o.sessionId, error: String(error) }));
      return started;
    };
    const cgroups = o.processes.cgroups;
    const child = cgroups ? cgroups.bornInside(o.sessionId, fork, (error) => o.logger.warn('session cgroup unusable; its processes are found by the fallbacks', { session: o.sessionId, error: String(error) })) : fork();
    if (child.pid === undefined) throw new Error('no process was started');
    return child;
  } catch (error) {
    if (error instanceof CcxError) throw error;
    throw new CcxError('E_SPAWN', `could not start ${command}: ${(error as Error).message}`, 'is Claude Code installed? npm i -g @anthropic-ai/claude-code, or give its path: ccx start --agent claude -- /path/to/claude');
  }
}
