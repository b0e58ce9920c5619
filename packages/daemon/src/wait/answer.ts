/**
 * The program's answer in the plain text of its new output: without the
 * echo of what was sent (only where the terminal echoed it exactly, on the
 * first line(s)), and without the prompt the program printed when it was done.
 */
export function extractAnswer(text: string, echo: string | undefined, prompt: RegExp | undefined): string {
  let out = text;
  if (echo !== undefined && echo.length > 0) {
    const echoed = echo.replace(/\r\n?/g, '\n');
    if (out.startsWith(echoed + '\n')) out = out.slice(echoed.length + 1);
    else if (out === echoed) out = '';
  }
  if (prompt) {
    const lastNewline = out.lastIndexOf('\n');
    if (prompt.test(out.slice(lastNewline + 1))) out = out.slice(0, lastNewline + 1);
  }
  return out;
}
