/** Version of this ccx build; the CLI and the daemon must agree on it. */
export const CCX_VERSION = '0.1.0';

/**
 * Bumped whenever a message shape changes incompatibly. 2: output travels in
 * binary frames (framing.ts); a protocol-1 peer fails at `hello`, which both
 * versions send and answer as JSON.
 */
export const PROTOCOL_VERSION = 2;

/**
 * The version a process reports. `CCX_VERSION_OVERRIDE` exists only so the
 * test suite can run a daemon that claims another version and check the
 * mismatch error without building a second copy of ccx.
 */
export function effectiveVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env.CCX_VERSION_OVERRIDE || CCX_VERSION;
}
