/**
 * One-at-a-time sections per key (a workflow id): a workflow task, a signal, a timer firing and a
 * query of the same workflow never interleave, so each write's `expectedLastEventId` holds.
 * @module
 */

/**
 * A mutex per key, forgotten when free.
 *
 * @example
 * ```ts
 * import { KeyedLock } from "./_keyed_lock.ts";
 * const lock = new KeyedLock();
 * await lock.run("order-1", async () => "one at a time");
 * ```
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.then(() => undefined, () => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
