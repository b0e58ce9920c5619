/**
 * Whether to colour what goes to a stream: on a terminal, unless NO_COLOR
 * (any non-empty value, no-color.org) says not to; FORCE_COLOR forces it on,
 * into a pipe too, and wins over NO_COLOR, as in Node itself (`0` or `false`
 * force it off).
 */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  return !!stream.isTTY && env.TERM !== 'dumb';
}
