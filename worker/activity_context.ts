/**
 * What an activity can learn about its own execution: `Context.current()` (Temporal TypeScript's
 * name) returns its info and the `AbortSignal` that aborts on cancellation, timeout or worker
 * shutdown. The context is also the activity function's `this`.
 *
 * `Context.current()` works in the activity's synchronous part (before its first `await`): keep
 * the context in a variable. Following it across `await` would need AsyncLocalStorage, which slows
 * every `await` in the process, workflow activations included (docs/design.md).
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";

/**
 * About the running activity attempt.
 *
 * @example
 * ```ts
 * import type { ActivityInfo } from "./activity_context.ts";
 * const label = (info: ActivityInfo) => `${info.activityType}#${info.activityId} attempt ${info.attempt}`;
 * ```
 */
export interface ActivityInfo {
  readonly activityId: string;
  readonly activityType: string;
  readonly taskQueue: string;
  /** From 1. */
  readonly attempt: number;
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
  readonly scheduledTime: Date;
  readonly startToCloseTimeoutMs?: number;
  readonly scheduleToCloseTimeoutMs?: number;
}

let current: Context | undefined;

/**
 * The running activity's context.
 *
 * @example
 * ```ts
 * import { Context } from "workflow-sandbox";
 * export async function download(url: string) {
 *   const { cancellationSignal } = Context.current(); // before the first await
 *   const response = await fetch(url, { signal: cancellationSignal });
 *   return await response.text();
 * }
 * ```
 */
export class Context {
  readonly info: ActivityInfo;
  /** Aborts when the activity is cancelled, times out, or the worker shuts down. */
  readonly cancellationSignal: AbortSignal;

  constructor(info: ActivityInfo, cancellationSignal: AbortSignal) {
    this.info = Object.freeze({ ...info });
    this.cancellationSignal = cancellationSignal;
  }

  /**
   * The context of the activity whose synchronous part is running.
   *
   * @example
   * ```ts
   * import { Context } from "workflow-sandbox";
   * export function whoAmI() {
   *   return Context.current().info.activityType;
   * }
   * ```
   */
  static current(): Context {
    if (current === undefined) {
      throw codedError(Error, {
        code: "WFS_NOT_IN_ACTIVITY",
        message: "Context.current() may only be used in an activity, before its first await",
        hint: "Read it at the start of the activity and keep it in a variable (const ctx = Context.current())",
      }, { name: "IllegalStateError" });
    }
    return current;
  }

  /**
   * Waits `ms`, rejecting early when the activity is cancelled.
   *
   * @example
   * ```ts
   * import { Context } from "workflow-sandbox";
   * export async function poll() {
   *   const ctx = Context.current();
   *   await ctx.sleep(100);
   * }
   * ```
   */
  sleep(ms: number): Promise<void> {
    const signal = this.cancellationSignal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * Calls `fn` with `context` as `this` and as `Context.current()` during its synchronous part.
 *
 * @example
 * ```ts
 * import { Context, runInActivityContext } from "./activity_context.ts";
 * const context = new Context({ activityId: "1", activityType: "a", taskQueue: "q", attempt: 1, workflowId: "w",
 *   runId: "r", workflowType: "t", scheduledTime: new Date(0) }, new AbortController().signal);
 * runInActivityContext(context, () => Context.current().info.activityId); // "1"
 * ```
 */
export function runInActivityContext<T>(context: Context, fn: (this: Context) => T): T {
  const previous = current;
  current = context;
  try {
    return fn.call(context);
  } finally {
    current = previous;
  }
}
