/**
 * The shape of a workflow history as `handle.fetchHistory()` returns it and
 * `Replayer.replayWorkflow()` takes it: plain JSON, so it can be saved to a file and replayed in
 * CI against new workflow code.
 * @module
 */
import type { HistoryEvent } from "./history_store.ts";

/**
 * One run's events.
 *
 * @example
 * ```ts
 * import type { WorkflowHistory } from "./workflow_history.ts";
 * import { readFileSync } from "node:fs";
 * const history: WorkflowHistory = JSON.parse(readFileSync("histories/order-1.json", "utf8"));
 * ```
 */
export interface WorkflowHistory {
  readonly workflowId: string;
  readonly runId: string;
  readonly events: readonly HistoryEvent[];
}

/**
 * The event types this worker writes, in Temporal's vocabulary. Input events (what a workflow
 * task reacts to) and command events (what a workflow task decided, right after its
 * `WorkflowTaskCompleted`).
 *
 * @example
 * ```ts
 * import { WORKFLOW_EVENT_TYPES } from "./workflow_history.ts";
 * WORKFLOW_EVENT_TYPES.commands.includes("TimerStarted"); // true
 * ```
 */
export const WORKFLOW_EVENT_TYPES = Object.freeze({
  inputs: Object.freeze([
    "WorkflowExecutionStarted",
    "WorkflowExecutionSignaled",
    "WorkflowExecutionCancelRequested",
    "ActivityTaskCompleted",
    "ActivityTaskFailed",
    "ActivityTaskCanceled",
    "TimerFired",
    "WorkflowExecutionTerminated",
  ] as const),
  taskCompleted: "WorkflowTaskCompleted" as const,
  commands: Object.freeze([
    "ActivityTaskScheduled",
    "ActivityTaskCancelRequested",
    "TimerStarted",
    "TimerCanceled",
    "MarkerRecorded",
    "WorkflowExecutionCompleted",
    "WorkflowExecutionFailed",
    "WorkflowExecutionCanceled",
    "WorkflowExecutionContinuedAsNew",
  ] as const),
});
