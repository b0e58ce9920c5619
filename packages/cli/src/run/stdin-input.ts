/** The terminal's end-of-file key (VEOF, Ctrl-D). */
const VEOF = 0x04;
const NEWLINE = 0x0a;
/** Stays under the 512 KiB (base64) cap of one `input` message. */
const MAX_INPUT_CHUNK_BYTES = 256 * 1024;

export interface StdinInput {
  /** Stops reading and gives the terminal back as it was. */
  stop(): void;
}

/**
 * `run`'s standard input, typed into the session as `docker run -i` does.
 * The program reads a terminal, so its end of file is the terminal's: VEOF
 * (Ctrl-D) at the start of a line. After data that did not end in a newline
 * the first Ctrl-D only hands that line over, so a second one follows. When
 * stdin is a terminal it goes into raw mode, as with `attach`: every key,
 * Ctrl-C and Ctrl-D included, goes to the program, whose terminal acts on it.
 */
export function forwardStdin(send: (data: Buffer) => void, stdin: NodeJS.ReadStream = process.stdin): StdinInput {
  const terminal = stdin.isTTY === true;
  let atLineStart = true;
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let at = 0; at < bytes.length; at += MAX_INPUT_CHUNK_BYTES) send(bytes.subarray(at, at + MAX_INPUT_CHUNK_BYTES));
    if (bytes.length > 0) atLineStart = bytes[bytes.length - 1] === NEWLINE;
  };
  const onEnd = (): void => send(Buffer.from(atLineStart ? [VEOF] : [VEOF, VEOF]));
  // Standard input closed or unreadable (EBADF, EIO): the same as its end.
  const onError = (): void => onEnd();
  if (terminal) stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.once('error', onError);
  stdin.resume();
  return {
    stop() {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      if (terminal) stdin.setRawMode(false);
      stdin.pause();
      // A pipe left open by the writer must not keep this process alive.
      if (!terminal) stdin.destroy();
    },
  };
}
