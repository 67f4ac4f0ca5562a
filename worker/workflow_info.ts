/**
 * `workflow.info()`: who this run is, as a fresh frozen object (mutating it changes nothing).
 * @module
 */
import { currentWorkflowState } from "./_current_workflow.ts";

/**
 * What `workflow.info()` returns (Temporal's `WorkflowInfo`, the fields this worker has).
 *
 * @example
 * ```ts
 * import type { WorkflowInfo } from "./workflow_info.ts";
 * const describe = (info: WorkflowInfo) => `${info.workflowType} ${info.workflowId} attempt ${info.attempt}`;
 * ```
 */
export interface WorkflowInfo {
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
  readonly taskQueue: string;
  readonly firstExecutionRunId: string;
  readonly continuedFromExecutionRunId?: string;
  /** When the first run of the chain started. */
  readonly startTime: Date;
  /** When this run started. */
  readonly runStartTime: Date;
  /** Events in history as of the current workflow task. */
  readonly historyLength: number;
  readonly attempt: number;
  /** Whether cancellation of the workflow was requested. */
  readonly cancelRequested: boolean;
  readonly unsafe: {
    /** True while the worker replays history (for logging decisions only; never branch on it). */
    readonly isReplaying: boolean;
  };
}

/**
 * Describes the current run.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const whoAmI = workflow.defn(async function whoAmI() {
 *   const { workflowId, runId } = workflow.info();
 *   return `${workflowId}/${runId}`;
 * });
 * ```
 */
export function info(): WorkflowInfo {
  const state = currentWorkflowState("workflow.info()");
  const id = state.identity;
  return Object.freeze({
    workflowId: id.workflowId,
    runId: id.runId,
    workflowType: id.workflowType,
    taskQueue: id.taskQueue,
    firstExecutionRunId: id.firstExecutionRunId,
    ...(id.continuedFromExecutionRunId === undefined ? {} : { continuedFromExecutionRunId: id.continuedFromExecutionRunId }),
    startTime: new Date(id.startTime),
    runStartTime: new Date(id.runStartTime),
    historyLength: state.historyLength,
    attempt: id.attempt,
    cancelRequested: state.cancelRequested,
    unsafe: Object.freeze({ isReplaying: state.replaying }),
  });
}
