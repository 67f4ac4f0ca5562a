/**
 * `@workflow.run`, `@workflow.signal` and `@workflow.query`: TC39 method decorators for class
 * workflows. Each brands the method function itself (a `Symbol.for` key), and the worker reads the
 * brands from the run's own instance: a sandboxed run evaluates the class anew, so metadata kept on
 * the host's copy of the class would not describe the run's class.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { WORKFLOW_METHOD, type WorkflowMethodBrand } from "./_workflow_run_state.ts";

/**
 * Options of `@workflow.signal(...)` and `@workflow.query(...)`.
 *
 * @example
 * ```ts
 * import type { HandlerMethodOptions } from "./workflow_method_decorators.ts";
 * const options: HandlerMethodOptions = { name: "approve" };
 * ```
 */
export interface HandlerMethodOptions {
  /**
   * The signal or query name.
   * @default the method name
   */
  readonly name?: string;
}

type Method = (...args: any[]) => unknown;
type MethodContext = { kind: string; name: string | symbol; static?: boolean; private?: boolean };

function mark(kind: WorkflowMethodBrand["kind"], method: unknown, context: unknown, name: string | undefined): void {
  const ctx = context as MethodContext | undefined;
  if (typeof method !== "function" || (ctx !== undefined && ctx.kind !== "method")) {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `@workflow.${kind} decorates methods of a workflow class, not ${ctx?.kind ?? typeof method}s`,
      hint: `Put @workflow.${kind} on a public instance method of the workflow class`,
    });
  }
  if (ctx?.static || ctx?.private) {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `@workflow.${kind} cannot decorate the ${ctx.static ? "static" : "private"} method '${String(ctx.name)}'`,
      hint: "Use a public instance method",
    });
  }
  const brand: WorkflowMethodBrand = Object.freeze(name === undefined ? { kind } : { kind, name });
  Object.defineProperty(method, WORKFLOW_METHOD, { value: brand, configurable: true });
}

function isDecoratorCall(args: unknown[]): boolean {
  return typeof args[0] === "function" && typeof (args[1] as { kind?: unknown } | undefined)?.kind === "string";
}

/**
 * Marks the method that runs the workflow; it receives the workflow's arguments.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * @workflow.defn
 * export class Greeter {
 *   @workflow.run
 *   async run(name: string) {
 *     return `Hello, ${name}!`;
 *   }
 * }
 * ```
 */
export function run<T extends Method>(method: T, context: ClassMethodDecoratorContext): T {
  mark("run", method, context, undefined);
  return method;
}

/**
 * Marks a signal handler: `@workflow.signal` (named after the method) or
 * `@workflow.signal({ name })`.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * @workflow.defn
 * export class Approval {
 *   approved = false;
 *   @workflow.signal
 *   approve() {
 *     this.approved = true;
 *   }
 *   @workflow.run
 *   async run() {
 *     await workflow.condition(() => this.approved);
 *   }
 * }
 * ```
 */
export function signal<T extends Method>(method: T, context: ClassMethodDecoratorContext): T;
export function signal(options: HandlerMethodOptions): <T extends Method>(method: T, context: ClassMethodDecoratorContext) => T;
export function signal(...args: unknown[]): unknown {
  return handlerDecorator("signal", args);
}

/**
 * Marks a query handler: `@workflow.query` (named after the method) or `@workflow.query({ name })`.
 * Query handlers must be synchronous and must not change the workflow.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * @workflow.defn
 * export class Counter {
 *   count = 0;
 *   @workflow.query({ name: "count" })
 *   current() {
 *     return this.count;
 *   }
 *   @workflow.run
 *   async run() {
 *     await workflow.sleep("1m");
 *   }
 * }
 * ```
 */
export function query<T extends Method>(method: T, context: ClassMethodDecoratorContext): T;
export function query(options: HandlerMethodOptions): <T extends Method>(method: T, context: ClassMethodDecoratorContext) => T;
export function query(...args: unknown[]): unknown {
  return handlerDecorator("query", args);
}

function handlerDecorator(kind: "signal" | "query", args: unknown[]): unknown {
  if (isDecoratorCall(args)) {
    mark(kind, args[0], args[1], undefined);
    return args[0];
  }
  const options = (args[0] ?? {}) as HandlerMethodOptions;
  if (typeof options !== "object" || (options.name !== undefined && (typeof options.name !== "string" || options.name === ""))) {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `@workflow.${kind}(options) takes { name?: string }, got ${
        typeof options !== "object" ? typeof options : `name ${typeof options.name === "string" ? "''" : typeof options.name}`
      }`,
      hint: `Pass a non-empty name, e.g. @workflow.${kind}({ name: 'status' }), or no options`,
    });
  }
  return (method: Method, context: ClassMethodDecoratorContext) => {
    mark(kind, method, context, options.name);
    return method;
  };
}
