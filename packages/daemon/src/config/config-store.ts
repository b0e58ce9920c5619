import { statSync } from 'node:fs';
import type { Disposable } from '../disposable.js';
import { readConfigFile, updateConfigKey, type ConfigDocument } from './config-file.js';

/** How often the store checks the file while someone listens for changes (the webhook service: hand-edited hooks). */
export const CONFIG_POLL_MS = 2_000;

/**
 * The file's identity and version as stat sees it: a changed inode (atomic
 * rename, editors that write a new file), size, mtime or ctime (an in-place
 * write of the same size) means "re-read". Nanoseconds: two writes within one
 * millisecond still differ.
 */
function signatureOf(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (error) {
    return `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}

/**
 * The daemon's one reader of the config file. Freshness rule: the file is
 * read at start and re-read only when its stat signature (inode, size,
 * mtime, ctime) differs from the last read; the signature is checked on each
 * `current()` — the readers ask once per request (presets, attach.allow,
 * hooks) or once at start (settings) — and by one poll every CONFIG_POLL_MS
 * while a listener is registered (`onChange`), so the webhook subscribers
 * follow hand edits without a request. A file that cannot be read or parsed
 * throws the same error to every reader until it changes.
 */
export class ConfigStore {
  private signature: string | undefined;
  private doc: ConfigDocument = {};
  private error: Error | undefined;
  /** Bumped on every re-read that found a changed file. */
  private generation = 0;
  private notifiedGeneration = 0;
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly pollMs = CONFIG_POLL_MS,
  ) {
    this.refresh();
    this.notifiedGeneration = this.generation;
  }

  /** The document as the file holds it now (do not mutate it: it is shared); throws when the file is unreadable or not a JSON object. */
  current(): Readonly<ConfigDocument> {
    this.refresh();
    if (this.error) throw this.error;
    return this.doc;
  }

  /** Replaces one top-level key (atomic write, mode 0600; see updateConfigKey); readers see it at once. */
  update(key: string, value: unknown): void {
    updateConfigKey(this.file, key, value);
    this.refresh();
  }

  /**
   * Calls `listener` (from the poll, never from inside a reader's call) after
   * the file changed, whoever noticed it first. The poll runs only while
   * there are listeners.
   */
  onChange(listener: () => void): Disposable {
    this.listeners.add(listener);
    this.timer ??= setInterval(() => this.poll(), this.pollMs).unref();
    return {
      dispose: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  private poll(): void {
    this.refresh();
    if (this.generation === this.notifiedGeneration) return;
    this.notifiedGeneration = this.generation;
    for (const listener of [...this.listeners]) listener();
  }

  private refresh(): void {
    const signature = signatureOf(this.file);
    if (signature === this.signature) return;
    this.signature = signature;
    this.generation++;
    try {
      this.doc = readConfigFile(this.file);
      this.error = undefined;
    } catch (error) {
      this.doc = {};
      this.error = error as Error;
    }
  }
}
