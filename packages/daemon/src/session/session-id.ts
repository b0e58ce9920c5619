import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** 8 characters of lowercase base32: 40 random bits, easy to type and to prefix. */
export function newSessionId(): string {
  const bytes = randomBytes(8);
  let id = '';
  for (let i = 0; i < 8; i++) id += ALPHABET[bytes[i]! & 31];
  return id;
}
