/**
 * Marks a job's promise as handled. An activation waits a macrotask before it returns; a workflow
 * promise that rejected in the meantime would otherwise be an unhandled rejection, which ends a
 * Node process (`--unhandled-rejections=throw` is the default), before the caller could await
 * the result it was given. The caller still sees the rejection: the original promise is returned.
 * @module
 */

const noop = () => {};
const then = Promise.prototype.then;

/**
 * Returns `value`, after attaching a no-op rejection handler if it is a native promise.
 *
 * @example
 * ```ts
 * import { handled } from "./handled.ts";
 * const p = handled(Promise.reject(new Error("kept for the caller")));
 * await p.catch((e) => e.message); // "kept for the caller"
 * ```
 */
export function handled<T>(value: T): T {
  if (value instanceof Promise) then.call(value, undefined, noop);
  return value;
}
