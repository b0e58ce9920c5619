import type { Preset } from '@ccx/shared';
import type { ConfigStore } from '../config/config-store.js';
import { DEFAULT_PRESET_FIELDS, findPreset, resolvePresets } from './presets.js';

/**
 * The presets this daemon knows: the built-in ones plus the user's from the
 * config file, checked on every use (ConfigStore: re-read when the file
 * changed) so an edit takes effect without a restart.
 */
export class PresetCatalog {
  constructor(private readonly config: ConfigStore) {}

  all(): Preset[] {
    return Object.values(this.load());
  }

  get(name: string): Preset {
    return findPreset(this.load(), name);
  }

  /** Read with the same store as settings and hooks: a missing or empty file is no config. */
  private load(): Record<string, Preset> {
    return resolvePresets(this.config.current().presets, this.config.file);
  }

  /** The preset a command on a session runs with: the one it names, else the session's, else the defaults. */
  forSession(sessionPreset: string | null, override: string | undefined): Preset {
    const name = override ?? sessionPreset;
    if (name === null || name === undefined) return { name: '', description: 'no preset', ...DEFAULT_PRESET_FIELDS };
    return this.get(name);
  }
}
