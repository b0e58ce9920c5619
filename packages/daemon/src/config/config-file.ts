import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CcxError } from '@ccx/shared';
import { writeFileAtomic } from '../store/atomic-file.js';

export type ConfigDocument = Record<string, unknown>;

/**
 * Reads the user's config file (`$XDG_CONFIG_HOME/ccx/config.json`). A missing
 * file is an empty config; a file that is not a JSON object is an error, so a
 * typo never silently turns into "no configuration".
 */
export function readConfigFile(file: string): ConfigDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CcxError('E_PERMISSION', `cannot read ${file}: ${(error as Error).message}`, 'check its permissions');
  }
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new CcxError('E_USAGE', `${file} is not valid JSON: ${(error as Error).message}`, 'fix or remove the file');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CcxError('E_USAGE', `${file} must hold a JSON object`, 'fix or remove the file');
  }
  return doc as ConfigDocument;
}

/**
 * Replaces one top-level key, keeping every other key as it was (other
 * features and the user keep their settings in the same file). Atomic, mode
 * 0600: the file can hold webhook secrets.
 */
export function updateConfigKey(file: string, key: string, value: unknown): void {
  const doc = readConfigFile(file);
  doc[key] = value;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n', 0o600);
}
