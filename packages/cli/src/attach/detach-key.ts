import { keyBytes } from '@ccx/shared';
import { usageError } from '../output.js';

/** `C-\`, as in dtach and abduco: rarely used by programs, and one keystroke. */
export const DEFAULT_DETACH_KEY = 'C-\\';

/**
 * Parses a detach key: one key (`C-\`, `C-]`, `^]`, a named key like
 * `Escape`, a literal like `\x1d`), or a sequence of them separated by
 * spaces (`C-b d`, tmux style). `none` turns detaching by key off.
 */
export function parseDetachKey(spec: string): Buffer | undefined {
  if (spec.trim().toLowerCase() === 'none') return undefined;
  const parts = spec.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw usageError('--detach-key is empty', 'give a key like C-\\ or C-b d, or none');
  const bytes = parts.map((part) => {
    if (/^\^[@A-Za-z[\\\]^_?]$/.test(part)) return part === '^?' ? '\x7f' : String.fromCharCode(part.charCodeAt(1) & 0x1f);
    if ([...part].length === 1) return part;
    try {
      return keyBytes(part);
    } catch {
      throw usageError(`unknown detach key: ${part}`, 'use C-x (any letter or one of @[\\]^_), ^x, a named key, a single character, or none');
    }
  });
  return Buffer.from(bytes.join(''), 'utf8');
}

/**
 * Watches keystrokes for the detach sequence. Bytes that might start it are
 * held back; if the sequence breaks off they go to the program after all.
 */
export class DetachKeyMatcher {
  private matched = 0;

  constructor(private readonly sequence: Buffer | undefined) {}

  /** Splits a chunk of keystrokes into what goes to the program, and whether the sequence completed. */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const seq = this.sequence;
    if (!seq) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === seq[this.matched]) {
        if (++this.matched === seq.length) {
          this.matched = 0;
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      for (let i = 0; i < this.matched; i++) out.push(seq[i]!);
      this.matched = 0;
      if (byte === seq[0] && seq.length > 1) this.matched = 1;
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
