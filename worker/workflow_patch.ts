/**
 * `workflow.patched(id)` and `workflow.deprecatePatch(id)`: change workflow code without breaking
 * the replay of runs that started on the old code (Temporal's patching). A new run records a patch
 * marker and takes the new branch; a replayed run takes the new branch only if its history has the
 * marker. The answer is fixed for the rest of the run once given.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { commandState } from "./_current_workflow.ts";

/**
 * Whether to run the new code for `patchId`.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const order = workflow.defn(async function order() {
 *   if (workflow.patched("timer-first")) {
 *     await workflow.sleep("1s");
 *     await workflow.executeActivity("charge", [], { startToCloseTimeout: "10s" });
 *   } else {
 *     await workflow.executeActivity("charge", [], { startToCloseTimeout: "10s" });
 *     await workflow.sleep("1s");
 *   }
 * });
 * ```
 */
export function patched(patchId: string): boolean {
  const state = commandState("workflow.patched(...)");
  checkId(patchId, "workflow.patched(patchId)");
  return state.patch(patchId, false);
}

/**
 * Marks `patchId` as deprecated: call it once every run that could take the old branch has
 * closed, and keep only the new code. Runs that recorded the marker still replay.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const order = workflow.defn(async function order() {
 *   workflow.deprecatePatch("timer-first");
 *   await workflow.sleep("1s");
 * });
 * ```
 */
export function deprecatePatch(patchId: string): void {
  const state = commandState("workflow.deprecatePatch(...)");
  checkId(patchId, "workflow.deprecatePatch(patchId)");
  state.patch(patchId, true);
}

function checkId(patchId: unknown, call: string): void {
  if (typeof patchId !== "string" || patchId === "") {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `${call} needs a non-empty string id, got ${patchId === "" ? "''" : patchId === null ? "null" : typeof patchId}`,
      hint: "Name the change, e.g. workflow.patched('timer-first'), and keep the same id in every version",
    });
  }
}
