import { DEFAULT_PRESET_FIELDS, findPreset, resolvePresets, type Preset } from '@ccx/shared';
import { readConfigFile } from '../config/config-file.js';

/**
 * The presets this daemon knows: the built-in ones plus the user's from the
 * config file, read on every use so an edit takes effect without a restart
 * (the file is small and presets are looked up once per command).
 */
export class PresetCatalog {
  constructor(private readonly configFile: string) {}

  all(): Preset[] {
    return Object.values(this.load());
  }

  get(name: string): Preset {
    return findPreset(this.load(), name);
  }

  /** Read with the same reader as settings and hooks: a missing or empty file is no config. */
  private load(): Record<string, Preset> {
    return resolvePresets(readConfigFile(this.configFile).presets, this.configFile);
  }

  /** The preset a command on a session runs with: the one it names, else the session's, else the defaults. */
  forSession(sessionPreset: string | null, override: string | undefined): Preset {
    const name = override ?? sessionPreset;
    if (name === null || name === undefined) return { name: '', description: 'no preset', ...DEFAULT_PRESET_FIELDS };
    return this.get(name);
  }
}
