/**
 * `workflow.continueAsNew(...args)`: close this run and start a fresh one of the same workflow id
 * with new arguments and an empty history (to keep histories short). Recorded atomically: the
 * closing event and the next run are one store write.
 * @module
 */
import { commandState } from "./_current_workflow.ts";
import { type Payload, toPayloads } from "./payload_converter.ts";

const BRAND = Symbol.for("workflow-sandbox.continue-as-new");

/**
 * The error `continueAsNew` throws; let it propagate out of the workflow (do not catch it).
 *
 * @example
 * ```ts
 * import { ContinueAsNew } from "./continue_as_new.ts";
 * const error = new ContinueAsNew("counter", "queue", []);
 * error.name; // "ContinueAsNew"
 * ```
 */
export class ContinueAsNew extends Error {
  readonly workflowType: string;
  readonly taskQueue: string;
  readonly args: Payload[];
  constructor(workflowType: string, taskQueue: string, args: Payload[]) {
    super(`Workflow continued as new (type '${workflowType}')`);
    this.name = "ContinueAsNew";
    this.workflowType = workflowType;
    this.taskQueue = taskQueue;
    this.args = args;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * Options of {@linkcode makeContinueAsNewFunc}.
 *
 * @example
 * ```ts
 * import type { ContinueAsNewOptions } from "./continue_as_new.ts";
 * const options: ContinueAsNewOptions = { workflowType: "orderV2" };
 * ```
 */
export interface ContinueAsNewOptions {
  /** @default the current workflow type */
  readonly workflowType?: string;
  /** @default the current task queue */
  readonly taskQueue?: string;
}

/**
 * Returns a function that continues as new with `options`.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const loop = workflow.defn(async function loop(n: number) {
 *   if (n > 0) await workflow.makeContinueAsNewFunc({ workflowType: "loop" })(n - 1);
 *   return "done";
 * });
 * ```
 */
export function makeContinueAsNewFunc<A extends unknown[]>(options: ContinueAsNewOptions = {}): (...args: A) => Promise<never> {
  return (...args: A) => {
    const state = commandState("workflow.continueAsNew(...)");
    const payloads = toPayloads(state.converter, args);
    return Promise.reject(
      new ContinueAsNew(options.workflowType ?? state.identity.workflowType, options.taskQueue ?? state.identity.taskQueue, payloads),
    );
  };
}

/**
 * Continues this workflow as a new run with `args`. Await it (it never resolves).
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const counter = workflow.defn(async function counter(n: number): Promise<number> {
 *   if (n < 3) await workflow.continueAsNew(n + 1);
 *   return n;
 * });
 * ```
 */
export function continueAsNew<A extends unknown[]>(...args: A): Promise<never> {
  return makeContinueAsNewFunc<A>()(...args);
}
