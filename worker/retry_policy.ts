/**
 * Activity retry policies, with Temporal's names and defaults: retry forever, 1 s apart at first,
 * doubling up to 100 times the first interval.
 * @module
 */
import { z } from "zod";
import { type Duration, isDuration, parseDuration } from "./_duration.ts";
import type { ActivityOptionsData } from "./_commands.ts";

/**
 * How a failed activity attempt is retried.
 *
 * @example
 * ```ts
 * import type { RetryPolicy } from "./retry_policy.ts";
 * const policy: RetryPolicy = { initialInterval: "100ms", maximumAttempts: 3, nonRetryableErrorTypes: ["ValidationError"] };
 * ```
 */
export interface RetryPolicy {
  /**
   * Wait before the second attempt.
   * @default "1s"
   */
  readonly initialInterval?: Duration;
  /**
   * Each wait is the previous one times this.
   * @default 2
   */
  readonly backoffCoefficient?: number;
  /**
   * The longest wait.
   * @default 100 times initialInterval
   */
  readonly maximumInterval?: Duration;
  /**
   * Attempts in all, the first included; 0 means unlimited.
   * @default 0
   */
  readonly maximumAttempts?: number;
  /** Error names (`ApplicationFailure.type` or the error's `name`) that are never retried. */
  readonly nonRetryableErrorTypes?: readonly string[];
}

const duration = z.custom<Duration>(isDuration, {
  error: "expected milliseconds (a non-negative number) or a duration string such as '10s'",
});

/**
 * The zod schema of {@linkcode RetryPolicy} (shared by activity options).
 *
 * @example
 * ```ts
 * import { retryPolicySchema } from "./retry_policy.ts";
 * retryPolicySchema.safeParse({ maximumAttempts: -1 }).success; // false
 * ```
 */
export const retryPolicySchema = z.object({
  initialInterval: duration.optional(),
  backoffCoefficient: z.number().min(1).optional(),
  maximumInterval: duration.optional(),
  maximumAttempts: z.number().int().nonnegative().optional(),
  nonRetryableErrorTypes: z.array(z.string()).optional(),
}).strict();

/**
 * Fills in the defaults and converts durations to milliseconds.
 *
 * @example
 * ```ts
 * import { normalizeRetryPolicy } from "./retry_policy.ts";
 * normalizeRetryPolicy({ maximumAttempts: 3 }).initialIntervalMs; // 1000
 * ```
 */
export function normalizeRetryPolicy(policy: RetryPolicy = {}): ActivityOptionsData["retry"] {
  const initialIntervalMs = parseDuration(policy.initialInterval ?? 1_000, "retry.initialInterval");
  return {
    initialIntervalMs,
    backoffCoefficient: policy.backoffCoefficient ?? 2,
    maximumIntervalMs: policy.maximumInterval === undefined
      ? initialIntervalMs * 100
      : parseDuration(policy.maximumInterval, "retry.maximumInterval"),
    maximumAttempts: policy.maximumAttempts ?? 0,
    nonRetryableErrorTypes: [...(policy.nonRetryableErrorTypes ?? [])],
  };
}

/**
 * The wait before attempt `attempt + 1` after attempt `attempt` failed.
 *
 * @example
 * ```ts
 * import { normalizeRetryPolicy, retryDelayMs } from "./retry_policy.ts";
 * retryDelayMs(normalizeRetryPolicy(), 3); // 4000
 * ```
 */
export function retryDelayMs(policy: ActivityOptionsData["retry"], attempt: number): number {
  const delay = policy.initialIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1);
  return Math.min(delay, policy.maximumIntervalMs);
}
