/**
 * `workflow.executeActivity()` and `workflow.proxyActivities()`: schedule an activity (a function
 * registered on a worker) and wait for its result. The arguments are converted when the call is
 * made and the result is a fresh value, so neither side can change the other's objects.
 * @module
 */
import { z } from "zod";
import { codedError } from "../sandbox/coded_error.ts";
import { commandState } from "./_current_workflow.ts";
import type { ActivityOptionsData } from "./_commands.ts";
import { type Duration, isDuration, parseDuration } from "./_duration.ts";
import { parseOptions } from "./_options.ts";
import { normalizeRetryPolicy, type RetryPolicy, retryPolicySchema } from "./retry_policy.ts";

/**
 * What cancelling an activity does (Temporal's `ActivityCancellationType`).
 *
 * @example
 * ```ts
 * import { ActivityCancellationType } from "./workflow_activity.ts";
 * const type = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
 * ```
 */
export const ActivityCancellationType = Object.freeze({
  /** Ask the activity to stop and reject at once with `ActivityFailure` (cause `CancelledFailure`). */
  TRY_CANCEL: "TRY_CANCEL",
  /** Ask the activity to stop and wait until it reports its outcome. */
  WAIT_CANCELLATION_COMPLETED: "WAIT_CANCELLATION_COMPLETED",
  /** Reject at once; the activity is not told. */
  ABANDON: "ABANDON",
} as const);

/**
 * A value of {@linkcode ActivityCancellationType}.
 *
 * @example
 * ```ts
 * import type { ActivityCancellationType } from "./workflow_activity.ts";
 * const type: ActivityCancellationType = "ABANDON";
 * ```
 */
export type ActivityCancellationType = typeof ActivityCancellationType[keyof typeof ActivityCancellationType];

/**
 * Options of {@linkcode executeActivity}. One of `startToCloseTimeout` and
 * `scheduleToCloseTimeout` is required, as in Temporal.
 *
 * @example
 * ```ts
 * import type { ActivityOptions } from "./workflow_activity.ts";
 * const options: ActivityOptions = { startToCloseTimeout: "10s", retry: { maximumAttempts: 3 } };
 * ```
 */
export interface ActivityOptions {
  /** Longest time one attempt may run; an attempt that takes longer fails with `TimeoutFailure`. */
  readonly startToCloseTimeout?: Duration;
  /** Longest time for all attempts together, retries included. */
  readonly scheduleToCloseTimeout?: Duration;
  /** @default retry forever (Temporal's default policy) */
  readonly retry?: RetryPolicy;
  /** @default the workflow's task queue */
  readonly taskQueue?: string;
  /** @default "TRY_CANCEL" */
  readonly cancellationType?: ActivityCancellationType;
  /**
   * Cancels the activity when aborted.
   * @default the workflow's cancellation signal
   */
  readonly signal?: AbortSignal;
}

const duration = z.custom<Duration>(isDuration, {
  error: "expected milliseconds (a non-negative number) or a duration string such as '10s'",
});

const optionsSchema = z.object({
  startToCloseTimeout: duration.optional(),
  scheduleToCloseTimeout: duration.optional(),
  retry: retryPolicySchema.optional(),
  taskQueue: z.string().min(1).optional(),
  cancellationType: z.enum(["TRY_CANCEL", "WAIT_CANCELLATION_COMPLETED", "ABANDON"]).optional(),
  signal: z.custom<AbortSignal>((v) => typeof v === "object" && v !== null && typeof (v as AbortSignal).addEventListener === "function", {
    error: "expected an AbortSignal",
  }).optional(),
}).strict();

/**
 * An activity function, or its registered name.
 *
 * @example
 * ```ts
 * import type { ActivityReference } from "./workflow_activity.ts";
 * const charge: ActivityReference<string> = "charge";
 * ```
 */
export type ActivityReference<R = unknown> = string | ((...args: any[]) => R | Promise<R>);

/**
 * Schedules an activity and waits for its result. Rejects with `ActivityFailure` when the
 * activity fails for good (its `cause` says why).
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const checkout = workflow.defn(async function checkout(orderId: string) {
 *   return await workflow.executeActivity("charge", [orderId], { startToCloseTimeout: "30s" });
 * });
 * ```
 */
export function executeActivity<R = unknown>(
  activity: ActivityReference<R>,
  args: readonly unknown[] = [],
  options: ActivityOptions = {},
): Promise<Awaited<R>> {
  const state = commandState("workflow.executeActivity(...)");
  const activityType = typeof activity === "function" ? activity.name : activity;
  if (typeof activityType !== "string" || activityType === "") {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `workflow.executeActivity(activity, ...) needs an activity name or a named function: got ${
        typeof activity === "function" ? "an anonymous function" : typeof activity === "string" ? "''" : typeof activity
      }`,
      hint: "Pass the activity's name as registered on the worker, or the activity function itself",
    });
  }
  if (!Array.isArray(args)) {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `workflow.executeActivity('${activityType}', args, options): 'args' must be an array, got ${args === null ? "null" : typeof args}`,
      hint: "Pass the activity's arguments as an array, e.g. [order]",
    });
  }
  const data = normalizeActivityOptions(options, `workflow.executeActivity('${activityType}')`, state.identity.taskQueue);
  return state.scheduleActivity(activityType, args, data, options.signal ?? state.rootSignal) as Promise<Awaited<R>>;
}

/**
 * Temporal's typed proxy: `proxyActivities<typeof activities>(options).charge(orderId)` calls
 * `executeActivity("charge", [orderId], options)`.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * import type * as activities from "./activities.ts";
 * const { charge } = workflow.proxyActivities<typeof activities>({ startToCloseTimeout: "30s" });
 * export const checkout = workflow.defn(async function checkout(orderId: string) {
 *   return await charge(orderId);
 * });
 * ```
 */
export function proxyActivities<A extends object>(options: ActivityOptions): {
  [K in keyof A]: A[K] extends (...args: infer P) => infer R ? (...args: P) => Promise<Awaited<R>> : never;
} {
  return new Proxy({}, {
    get(_target, name) {
      if (typeof name !== "string") return undefined;
      return (...args: unknown[]) => executeActivity(name, args, options);
    },
  }) as never;
}

/**
 * Validates activity options and converts them to their recorded form.
 *
 * @example
 * ```ts
 * import { normalizeActivityOptions } from "./workflow_activity.ts";
 * normalizeActivityOptions({ startToCloseTimeout: "1s" }, "example", "queue").startToCloseTimeoutMs; // 1000
 * ```
 */
export function normalizeActivityOptions(options: ActivityOptions, call: string, defaultTaskQueue: string): ActivityOptionsData {
  const parsed = parseOptions(optionsSchema, options, call);
  if (parsed.startToCloseTimeout === undefined && parsed.scheduleToCloseTimeout === undefined) {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `${call} needs a timeout: it has neither 'startToCloseTimeout' nor 'scheduleToCloseTimeout'`,
      hint: "Set 'startToCloseTimeout' (one attempt) or 'scheduleToCloseTimeout' (all attempts), for example " +
        "{ startToCloseTimeout: '1m' }",
    });
  }
  const data: ActivityOptionsData = {
    taskQueue: parsed.taskQueue ?? defaultTaskQueue,
    cancellationType: parsed.cancellationType ?? "TRY_CANCEL",
    retry: normalizeRetryPolicy(parsed.retry),
  };
  if (parsed.startToCloseTimeout !== undefined) {
    data.startToCloseTimeoutMs = parseDuration(parsed.startToCloseTimeout, "startToCloseTimeout");
  }
  if (parsed.scheduleToCloseTimeout !== undefined) {
    data.scheduleToCloseTimeoutMs = parseDuration(parsed.scheduleToCloseTimeout, "scheduleToCloseTimeout");
  }
  return data;
}
