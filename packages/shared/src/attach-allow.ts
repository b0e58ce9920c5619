import { CcxError } from './errors.js';

/**
 * What program output may do to an attached terminal beyond drawing, each
 * dropped by `attach` unless allowed (`ccx attach --allow`, config
 * `attach.allow`): `clipboard` OSC 52 writes; `passthrough` DCS, APC, PM, SOS
 * strings (tmux-style passthrough, images, key redefinition) and OSC
 * commands ccx does not know; `colors` palette, colour and font changes
 * (OSC 4, 5, 10–19, 50, 104–119); `title` window and icon titles (OSC 0, 1, 2).
 */
export const ATTACH_ALLOW_KINDS = ['clipboard', 'passthrough', 'colors', 'title'] as const;
export type AttachAllowKind = (typeof ATTACH_ALLOW_KINDS)[number];

/**
 * Reads an allow list: an array of kinds, or a comma-separated string (the
 * `--allow` flag). `none` and the empty string allow nothing; `all` allows
 * every kind. Throws E_USAGE naming the unknown kind; `where` says where the
 * value came from (flag or config file).
 */
export function parseAttachAllow(value: unknown, where: string): AttachAllowKind[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items)) {
    throw new CcxError('E_USAGE', `${where} must be a list of: ${ATTACH_ALLOW_KINDS.join(', ')}`, `e.g. ["clipboard", "title"], or [] to allow none`);
  }
  const kinds = new Set<AttachAllowKind>();
  for (const raw of items) {
    const item = typeof raw === 'string' ? raw.trim() : raw;
    if (item === '' || item === 'none') continue;
    if (item === 'all') {
      for (const kind of ATTACH_ALLOW_KINDS) kinds.add(kind);
      continue;
    }
    if (typeof item !== 'string' || !(ATTACH_ALLOW_KINDS as readonly string[]).includes(item)) {
      throw new CcxError('E_USAGE', `${where}: unknown kind ${JSON.stringify(item)}`, `allowed kinds: ${ATTACH_ALLOW_KINDS.join(', ')} (or all, none)`);
    }
    kinds.add(item as AttachAllowKind);
  }
  return [...kinds];
}
