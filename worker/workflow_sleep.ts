/**
 * `workflow.sleep(ms)`: a durable timer. The deadline is stored, so the sleep survives worker
 * restarts, and a replay does not wait again.
 * @module
 */
import { commandState } from "./_current_workflow.ts";
import { type Duration, parseDuration } from "./_duration.ts";

/**
 * Options of {@linkcode sleep}.
 *
 * @example
 * ```ts
 * import type { SleepOptions } from "./workflow_sleep.ts";
 * const options: SleepOptions = { signal: new AbortController().signal }; // not cancelled with the workflow
 * ```
 */
export interface SleepOptions {
  /**
   * Cancels the timer when aborted (the promise rejects with `CancelledFailure`).
   * @default the workflow's cancellation signal (`workflow.cancellationSignal()`)
   */
  readonly signal?: AbortSignal;
}

/**
 * Waits `ms` (milliseconds, or a string such as `"10s"`) on a durable timer.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const reminder = workflow.defn(async function reminder() {
 *   await workflow.sleep("1h");
 *   return "remind";
 * });
 * ```
 */
export function sleep(ms: Duration, options: SleepOptions = {}): Promise<void> {
  const state = commandState("workflow.sleep(...)");
  const durationMs = parseDuration(ms, "workflow.sleep(ms)");
  return state.startTimer(durationMs, options.signal ?? state.rootSignal);
}
