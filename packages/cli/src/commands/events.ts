import type { CommandModule } from 'yargs';
import { CcxError, EVENT_TYPES, type CcxEvent, type EventType } from '@ccx/shared';
import { runCommand } from '../context.js';
import { escapeControls } from '../format.js';
import { exitOnBrokenPipe } from '../output.js';

interface EventsArgs {
  id?: string;
  type?: EventType[];
  since?: number;
  follow?: boolean;
  json?: boolean;
}

const SHOWN_APART = new Set(['seq', 'type', 'time', 'sessionId']);

/** `SEQ  TIME  TYPE  SESSION  key=value...` */
export function formatEvent(event: CcxEvent): string {
  const details = Object.entries(event)
    .filter(([key, value]) => !SHOWN_APART.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${escapeControls(typeof value === 'string' ? value : JSON.stringify(value))}`)
    .join(' ');
  return [String(event.seq).padStart(6), event.time, event.type.padEnd(16), (event.sessionId ?? '-').padEnd(8), details].join('  ').trimEnd();
}

/**
 * Writes one event, and stops reading from the daemon while stdout is
 * backed up: then the daemon's bounded queue, not this process, absorbs a
 * slow reader (and cuts it off with a resume point if it falls too far behind).
 */
function writer(pause: () => void, resume: () => void): (line: string) => void {
  let paused = false;
  return (line) => {
    if (process.stdout.write(line + '\n') || paused) return;
    paused = true;
    pause();
    process.stdout.once('drain', () => {
      paused = false;
      resume();
    });
  };
}

export const eventsCommand: CommandModule<object, EventsArgs> = {
  command: 'events [id]',
  describe: 'Print events from the events log, then with -f live ones as they happen',
  builder: (y) =>
    y
      .positional('id', { type: 'string', describe: 'only events of this session (id, id prefix or name)' })
      .option('type', { alias: 't', type: 'string', array: true, choices: EVENT_TYPES as unknown as string[], describe: 'only events of this type (repeatable)' })
      .option('since', { type: 'number', describe: 'only events after this seq (resume from the last seq you saw)' })
      .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing live events' })
      .option('json', { type: 'boolean', describe: 'one JSON object per line' })
      .example('$0 events -f --json', 'every event from the log on, then live, as JSON lines')
      .example('$0 events py --type process-exit', 'when did session py exit')
      .example('$0 events --since 1042 -f', 'resume after seq 1042: nothing missed, nothing twice') as never,
  handler: (argv) =>
    runCommand(argv, async (ctx) => {
      if (argv.since !== undefined && !(Number.isInteger(argv.since) && argv.since >= 0)) {
        throw new CcxError('E_USAGE', '--since needs a seq: an integer ≥ 0', 'use the seq of the last event you saw');
      }
      // The reader went away (`| head`): that is how a follower is meant to end.
      exitOnBrokenPipe(0);
      const conn = await ctx.connect();
      const write = writer(
        () => conn.pause(),
        () => conn.resume(),
      );
      let lastSeq = argv.since;
      const { done } = conn.stream(
        'events.stream',
        { target: argv.id, types: argv.type, since: argv.since, follow: argv.follow ?? false },
        (event) => {
          if (event.type !== 'session-output') lastSeq = event.seq;
          write(ctx.json ? JSON.stringify(event) : formatEvent(event));
        },
      );
      try {
        await done;
      } catch (error) {
        if (error instanceof CcxError && error.code === 'E_DAEMON_UNAVAILABLE' && lastSeq !== undefined) {
          throw new CcxError(error.code, error.message, `resume without missing anything: ccx events --since ${lastSeq}${argv.follow ? ' -f' : ''}`);
        }
        throw error;
      }
      return 0;
    }),
};
