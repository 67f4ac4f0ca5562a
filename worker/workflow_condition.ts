/**
 * `workflow.condition(fn, timeout?)`: waits until `fn()` is truthy. Conditions are checked after
 * every activation's microtasks drain, and again until none changes, in the same order on every
 * replay.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { commandState } from "./_current_workflow.ts";
import { type Duration, parseDuration } from "./_duration.ts";
import { CancelledFailure } from "./failure.ts";

/**
 * Options of {@linkcode condition}.
 *
 * @example
 * ```ts
 * import type { ConditionOptions } from "./workflow_condition.ts";
 * const options: ConditionOptions = { signal: new AbortController().signal };
 * ```
 */
export interface ConditionOptions {
  /**
   * Stops waiting when aborted (the promise rejects with `CancelledFailure`).
   * @default the workflow's cancellation signal
   */
  readonly signal?: AbortSignal;
}

/**
 * Waits until `fn()` returns a truthy value. With a `timeout`, resolves `true` when the condition
 * held and `false` when the timeout (a durable timer) fired first.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const approval = workflow.defn(async function approval() {
 *   let approved = false;
 *   workflow.setHandler(workflow.defineSignal("approve"), () => void (approved = true));
 *   return await workflow.condition(() => approved, "1d") ? "approved" : "expired";
 * });
 * ```
 */
export function condition(fn: () => unknown, timeout?: undefined, options?: ConditionOptions): Promise<void>;
export function condition(fn: () => unknown, timeout: Duration, options?: ConditionOptions): Promise<boolean>;
export async function condition(fn: () => unknown, timeout?: Duration, options: ConditionOptions = {}): Promise<void | boolean> {
  const state = commandState("workflow.condition(...)");
  if (typeof fn !== "function") {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `workflow.condition(fn) takes a function returning a boolean: got ${fn === null ? "null" : typeof fn}`,
      hint: "Pass a function that reads workflow state, e.g. workflow.condition(() => approved)",
    });
  }
  const signal = options.signal ?? state.rootSignal;
  if (timeout === undefined) {
    if (fn()) return;
    return state.condition(fn, signal);
  }
  const ms = parseDuration(timeout, "workflow.condition(fn, timeout)");
  if (fn()) return true;
  // The loser is withdrawn: the timer is cancelled (a recorded TimerCanceled) when the condition
  // holds first, as in Temporal, and the condition is dropped when the timer fires first.
  const timer = new AbortController();
  const waiter = new AbortController();
  const onAbort = () => {
    timer.abort(signal.reason);
    waiter.abort(signal.reason);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const settled = new CancelledFailure("Condition settled");
  try {
    return await Promise.race([
      state.condition(fn, waiter.signal).then(() => true),
      state.startTimer(ms, timer.signal).then(() => false),
    ]);
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!timer.signal.aborted) timer.abort(settled);
    if (!waiter.signal.aborted) waiter.abort(settled);
  }
}
