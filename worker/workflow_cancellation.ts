/**
 * `workflow.cancellationSignal()`: the `AbortSignal` that aborts when the workflow's cancellation is
 * requested (`handle.cancel()`). Timers, conditions and activities use it by default, so a
 * cancellation rejects them with `CancelledFailure`; pass `{ signal }` of your own
 * `AbortController` to an operation that must outlive the cancellation (cleanup).
 * @module
 */
import { currentWorkflowState } from "./_current_workflow.ts";

/**
 * The run's cancellation signal.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const job = workflow.defn(async function job() {
 *   try {
 *     await workflow.sleep("1d");
 *   } catch (error) {
 *     if (!workflow.isCancellation(error)) throw error;
 *     const cleanup = new AbortController(); // not aborted by the cancellation
 *     await workflow.executeActivity("cleanup", [], { startToCloseTimeout: "1m", signal: cleanup.signal });
 *     throw error; // the workflow ends as cancelled
 *   }
 * });
 * ```
 */
export function cancellationSignal(): AbortSignal {
  return currentWorkflowState("workflow.cancellationSignal()").rootSignal;
}
