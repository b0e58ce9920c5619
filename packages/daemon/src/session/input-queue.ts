/**
 * Runs input jobs for one session strictly one after another, so concurrent
 * senders never interleave their bytes. A failing job does not stop the queue.
 */
export class InputQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(job: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(job);
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }

  get length(): number {
    return this.pending;
  }
}
