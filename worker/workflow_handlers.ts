/**
 * Signal and query handlers for function workflows (Temporal TypeScript's `defineSignal`,
 * `defineQuery`, `setHandler`). Class workflows can use them too, or mark methods with
 * `@workflow.signal` and `@workflow.query`.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { currentWorkflowState } from "./_current_workflow.ts";

/**
 * A signal's name and argument types.
 *
 * @example
 * ```ts
 * import { defineSignal, type SignalDefinition } from "./workflow_handlers.ts";
 * const approve: SignalDefinition<[string]> = defineSignal<[string]>("approve");
 * ```
 */
export interface SignalDefinition<Args extends any[] = []> {
  readonly type: "signal";
  readonly name: string;
  /** Type-level only: the handler's shape. */
  readonly __handler?: (...args: Args) => void;
}

/**
 * A query's name, argument types and result type.
 *
 * @example
 * ```ts
 * import { defineQuery, type QueryDefinition } from "./workflow_handlers.ts";
 * const status: QueryDefinition<string> = defineQuery<string>("status");
 * ```
 */
export interface QueryDefinition<Result, Args extends any[] = []> {
  readonly type: "query";
  readonly name: string;
  /** Type-level only: the handler's shape. */
  readonly __handler?: (...args: Args) => Result;
}

/**
 * Defines a signal. Share the definition between the workflow and the code that signals it.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const approve = workflow.defineSignal<[approver: string]>("approve");
 * ```
 */
export function defineSignal<Args extends any[] = []>(name: string): SignalDefinition<Args> {
  checkName(name, "defineSignal(name)");
  return Object.freeze({ type: "signal", name });
}

/**
 * Defines a query.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const status = workflow.defineQuery<string>("status");
 * ```
 */
export function defineQuery<Result = unknown, Args extends any[] = []>(name: string): QueryDefinition<Result, Args> {
  checkName(name, "defineQuery(name)");
  return Object.freeze({ type: "query", name });
}

/**
 * Sets (or, with `undefined`, removes) the handler of a signal or query for this run. Signals
 * received before their handler was set are delivered when it is, in arrival order. Query
 * handlers must be synchronous and must not change the workflow.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * const approve = workflow.defineSignal<[string]>("approve");
 * const status = workflow.defineQuery<string>("status");
 * export const approval = workflow.defn(async function approval() {
 *   let approver: string | undefined;
 *   workflow.setHandler(approve, (name) => void (approver = name));
 *   workflow.setHandler(status, () => approver ? `approved by ${approver}` : "waiting");
 *   await workflow.condition(() => approver !== undefined);
 *   return approver;
 * });
 * ```
 */
export function setHandler<Args extends any[]>(definition: SignalDefinition<Args>, handler: ((...args: Args) => void | Promise<void>) | undefined): void;
export function setHandler<Result, Args extends any[]>(definition: QueryDefinition<Result, Args>, handler: ((...args: Args) => Result) | undefined): void;
export function setHandler(
  definition: SignalDefinition<any[]> | QueryDefinition<unknown, any[]>,
  handler: ((...args: any[]) => unknown) | undefined,
): void {
  const state = currentWorkflowState("workflow.setHandler(...)");
  if (typeof definition !== "object" || definition === null || (definition.type !== "signal" && definition.type !== "query")) {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `workflow.setHandler(definition, handler) takes a definition from defineSignal() or defineQuery(), got ${
        definition === null ? "null" : typeof definition
      }`,
      hint: "Pass what workflow.defineSignal(name) or workflow.defineQuery(name) returned",
    });
  }
  if (handler !== undefined && typeof handler !== "function") {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `workflow.setHandler(${definition.type} '${definition.name}', handler): the handler must be a function or ` +
        `undefined, got ${handler === null ? "null" : typeof handler}`,
      hint: "Pass a function, or undefined to remove the handler",
    });
  }
  state.setHandler(definition.type, definition.name, handler);
}

function checkName(name: unknown, call: string): void {
  if (typeof name !== "string" || name === "") {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `${call} needs a non-empty string name, got ${name === "" ? "''" : name === null ? "null" : typeof name}`,
      hint: "Name it as clients will, e.g. defineSignal('approve')",
    });
  }
}
