/**
 * The one lifecycle idiom (VS Code's IDisposable): whatever subscribes,
 * starts or opens something returns a Disposable, and whoever got it
 * disposes it. Disposing twice does nothing.
 */
export interface Disposable {
  dispose(): void;
}

/** A part whose teardown may take time (a worker, a listening server); the store awaits it. */
export interface AsyncDisposable {
  dispose(): void | Promise<void>;
}

/** Collects disposables and disposes them in reverse order, once. */
export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;

  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const item of this.items.splice(0).reverse()) {
      try {
        item.dispose();
      } catch {
        // One failing disposer must not keep the others from running.
      }
    }
  }
}

/**
 * The parts of a composition root (the daemon), registered as they are
 * built (`_register`) and disposed in reverse, each awaited before the one
 * registered before it, once: what was built last, and may use what came
 * before, ends first. A part that throws or rejects is reported and the
 * rest still end.
 */
export class AsyncDisposableStore {
  private readonly items: AsyncDisposable[] = [];
  private disposing: Promise<void> | undefined;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Registers a part; `end` says how it ends when it is not itself disposable (a server's close). */
  add<T extends AsyncDisposable>(item: T): T;
  add<T>(item: T, end: (item: T) => void | Promise<void>): T;
  add<T>(item: T, end?: (item: T) => void | Promise<void>): T {
    const part: AsyncDisposable = end ? { dispose: () => end(item) } : (item as AsyncDisposable);
    if (this.disposing) void this.disposeOne(part);
    else this.items.push(part);
    return item;
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      for (const item of this.items.splice(0).reverse()) await this.disposeOne(item);
    })();
    return this.disposing;
  }

  private async disposeOne(item: AsyncDisposable): Promise<void> {
    try {
      await item.dispose();
    } catch (error) {
      this.onError(error);
    }
  }
}
