import { CcxError, parseAttachAllow, type AttachAllowKind } from '@ccx/shared';
import type { ConfigStore } from './config-store.js';

/**
 * The config file's `attach.allow`: what program output may do to an
 * attached terminal when `attach` does not say (default: nothing). Checked on
 * every attach (ConfigStore), as presets are, so an edit applies to the next attach; a bad
 * value refuses the attach with the file and key named, never silently
 * allows more or less than written.
 */
export function configuredAttachAllow(config: ConfigStore): AttachAllowKind[] {
  const configFile = config.file;
  const attach = config.current().attach;
  if (attach === undefined) return [];
  if (typeof attach !== 'object' || attach === null || Array.isArray(attach)) {
    throw new CcxError('E_USAGE', `${configFile}: attach must be an object, e.g. {"allow": ["title"]}`, 'fix or remove the key');
  }
  const allow = (attach as Record<string, unknown>).allow;
  return allow === undefined ? [] : parseAttachAllow(allow, `${configFile}: attach.allow`);
}
