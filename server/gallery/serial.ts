/**
 * Runs async tasks one at a time per key, in call order: enrollment decisions in one gallery (the
 * duplicate check against the index and the write that follows it) never interleave in this process.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task queued or running (tests: nothing is left behind). */
  get pending(): number {
    return this.tails.size;
  }
}
