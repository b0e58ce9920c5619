import type { PositionalOptions } from 'yargs';

/** The `<id>` every session command takes; resolved by the daemon (exact id, unique prefix, or name). */
export const SESSION_ID_ARG: PositionalOptions = { type: 'string', describe: 'session id, id prefix or name' };
