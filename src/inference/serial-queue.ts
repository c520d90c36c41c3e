/**
 * Runs async tasks one at a time, in the order they were submitted. A task's failure is
 * reported to its own caller only; the queue moves on.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Tasks submitted and not yet settled (the one running included). */
  get pending(): number {
    return this.#pending;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(task);
    const settle = () => {
      this.#pending--;
    };
    this.#tail = result.then(settle, settle);
    return result;
  }
}
