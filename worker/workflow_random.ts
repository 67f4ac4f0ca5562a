/**
 * `workflow.random()` and `workflow.uuid4()`: randomness seeded per run from history (the seed is
 * recorded when the run starts), so a replay draws the same values.
 * @module
 */
import { currentWorkflowState } from "./_current_workflow.ts";
import { uuid4From } from "./_random.ts";

/**
 * A number in [0, 1), deterministic per run. Use it instead of `Math.random()`.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const dice = workflow.defn(async function dice() {
 *   return 1 + Math.floor(workflow.random() * 6);
 * });
 * ```
 */
export function random(): number {
  return currentWorkflowState("workflow.random()").random();
}

/**
 * A version 4 UUID drawn from the run's seeded generator. Use it instead of
 * `crypto.randomUUID()`.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const order = workflow.defn(async function order() {
 *   return { orderId: workflow.uuid4() };
 * });
 * ```
 */
export function uuid4(): string {
  const state = currentWorkflowState("workflow.uuid4()");
  return uuid4From(() => state.random());
}
