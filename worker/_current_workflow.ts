/**
 * How every `workflow.*` call finds its run: the current-run slot holds the run's
 * {@linkcode WorkflowRunState} as its `host` while an activation executes, and nothing on the host.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { currentRun } from "../sandbox/current_run.ts";
import { WorkflowRunState } from "./_workflow_run_state.ts";

/**
 * The state of the workflow run executing now; throws an error naming `call` outside a workflow.
 *
 * @example
 * ```ts
 * import { currentWorkflowState } from "./_current_workflow.ts";
 * try {
 *   currentWorkflowState("workflow.sleep(...)");
 * } catch (error) {
 *   // "workflow.sleep(...) may only be used from a workflow: ..."
 * }
 * ```
 */
export function currentWorkflowState(call: string): WorkflowRunState {
  const state = currentRun()?.host;
  if (WorkflowRunState.is(state)) return state;
  throw codedError(Error, {
    code: "WFS_NOT_IN_WORKFLOW",
    message: `${call} may only be used from a workflow: it was called outside any workflow run (on the host, in an ` +
      `activity, or after the run was evicted)`,
    hint: "Call it from workflow code executed by a Worker",
  }, { name: "IllegalStateError" });
}

/**
 * Like {@linkcode currentWorkflowState}, and refuses calls from a query handler, which must not
 * change the workflow.
 *
 * @example
 * ```ts
 * import { commandState } from "./_current_workflow.ts";
 * // inside workflow code: const state = commandState("workflow.sleep(...)");
 * ```
 */
export function commandState(call: string): WorkflowRunState {
  const state = currentWorkflowState(call);
  if (state.inQuery) {
    throw codedError(Error, {
      code: "WFS_QUERY_COMMAND",
      message: `${call} cannot be used in a query handler: queries read the workflow and must not change it`,
      hint: "Move the call to the workflow's run method or a signal handler",
    }, { name: "IllegalStateError" });
  }
  return state;
}
