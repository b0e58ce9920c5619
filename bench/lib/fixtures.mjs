// Deterministic text files for the output scenarios: numbered 80-column lines
// of printable ASCII, like a build log.
import { closeSync, openSync, writeSync } from 'node:fs';

const WORDS = 'the quick brown fox jumps over a lazy dog while ccx keeps every byte of output in order'.split(' ');

/** Writes about `bytes` bytes of text to `path`; returns {bytes, lines}. */
export function writeTextFile(path, bytes) {
  const fd = openSync(path, 'w');
  let written = 0;
  let lines = 0;
  const batch = [];
  let batchBytes = 0;
  const flush = () => {
    const buf = Buffer.from(batch.join(''));
    writeSync(fd, buf);
    batch.length = 0;
    batchBytes = 0;
  };
  while (written < bytes) {
    let line = `${String(lines).padStart(8, '0')} `;
    for (let w = lines % WORDS.length; line.length < 79; w = (w + 1) % WORDS.length) line += `${WORDS[w]} `;
    line = `${line.slice(0, 79)}\n`;
    batch.push(line);
    batchBytes += line.length;
    written += line.length;
    lines++;
    if (batchBytes > 1 << 20) flush();
  }
  flush();
  closeSync(fd);
  return { bytes: written, lines };
}
