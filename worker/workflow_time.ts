/**
 * `workflow.now()`: the workflow's clock. It is the start time of the current workflow task, read
 * from history, so it advances only as history advances and a replay sees the same times.
 * @module
 */
import { currentWorkflowState } from "./_current_workflow.ts";

/**
 * The current workflow task's start time (a fresh `Date` each call). Use it instead of
 * `Date.now()` or `new Date()` in workflow code.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const stamp = workflow.defn(async function stamp() {
 *   return workflow.now().toISOString();
 * });
 * ```
 */
export function now(): Date {
  return new Date(currentWorkflowState("workflow.now()").now);
}
