/**
 * Activations of all workflow runs in the process execute one at a time: the current-run slot
 * names one run, and a run's microtasks must drain before another run's code starts.
 * @module
 */

// Shared by every evaluation of this module in the process (one queue, like one slot).
const QUEUE_KEY = Symbol.for("workflow-sandbox.activation-queue");
const queue: { tail: Promise<unknown> } = ((globalThis as Record<symbol, { tail: Promise<unknown> } | undefined>)[
  QUEUE_KEY
] ??= { tail: Promise.resolve() });

/**
 * Runs `fn` after every activation queued before it has finished.
 *
 * @example
 * ```ts
 * import { runExclusive } from "./activation_queue.ts";
 * await runExclusive(async () => "one at a time");
 * ```
 */
export function runExclusive<T>(fn: () => Promise<T>): Promise<T> {
  const result = queue.tail.then(fn, fn);
  queue.tail = result.catch(() => undefined);
  return result;
}
