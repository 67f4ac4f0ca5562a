/**
 * Deliberate failures: the errors that fail a workflow (or an activity attempt) on purpose, with
 * Temporal TypeScript's names. Any other error thrown by workflow code fails the workflow *task*
 * instead, which is retried until the code is fixed (python-sandbox.md §2.7), unless its type is
 * listed in `workflowFailureErrorTypes`.
 *
 * Every class carries a `Symbol.for` brand, so a copy of this package bundled elsewhere (or loaded
 * both from `dist/` and the sources) recognises the others' failures: `instanceof` tests the brand.
 * @module
 */
import { brandClass } from "../sandbox/error_brand.ts";
import type { Payload } from "./payload_converter.ts";

/**
 * The base of every deliberate failure. Throwing one from a workflow fails the workflow.
 *
 * @example
 * ```ts
 * import { ApplicationFailure, TemporalFailure } from "./failure.ts";
 * ApplicationFailure.create({ message: "no stock" }) instanceof TemporalFailure; // true
 * ```
 */
export class TemporalFailure extends Error {
  /** The brand every copy of this package recognises, `Symbol.for("workflow-sandbox.failure.TemporalFailure")`. */
  declare static readonly brand: symbol;
}
brandClass(TemporalFailure, "failure", "TemporalFailure");

/**
 * Options of {@linkcode ApplicationFailure.create}.
 *
 * @example
 * ```ts
 * import type { ApplicationFailureOptions } from "./failure.ts";
 * const options: ApplicationFailureOptions = { message: "out of stock", type: "StockError", nonRetryable: true };
 * ```
 */
export interface ApplicationFailureOptions {
  /** What went wrong. */
  readonly message?: string;
  /**
   * The failure's type, matched by retry policies' `nonRetryableErrorTypes`.
   * @default "Error"
   */
  readonly type?: string;
  /**
   * Do not retry (activities).
   * @default false
   */
  readonly nonRetryable?: boolean;
  /** Values attached to the failure; they go through the payload converter. */
  readonly details?: readonly unknown[];
  readonly cause?: Error;
}

/**
 * A failure raised by user code. Activity errors reach the workflow as an
 * {@linkcode ActivityFailure} whose `cause` is an `ApplicationFailure` with the error's name as
 * `type`.
 *
 * @example
 * ```ts
 * import { ApplicationFailure } from "./failure.ts";
 * throw ApplicationFailure.nonRetryable("Card declined", "PaymentError");
 * ```
 */
export class ApplicationFailure extends TemporalFailure {
  readonly type: string;
  readonly nonRetryable: boolean;
  readonly details: readonly unknown[];

  constructor(message?: string, type?: string, nonRetryable?: boolean, details?: readonly unknown[], cause?: Error) {
    super(message ?? "", cause === undefined ? undefined : { cause });
    this.type = type ?? "Error";
    this.nonRetryable = nonRetryable ?? false;
    this.details = details ?? [];
  }

  /**
   * Creates a failure from options.
   *
   * @example
   * ```ts
   * import { ApplicationFailure } from "./failure.ts";
   * ApplicationFailure.create({ message: "out of stock", type: "StockError", details: [{ sku: "A1" }] });
   * ```
   */
  static create(options: ApplicationFailureOptions): ApplicationFailure {
    return new ApplicationFailure(options.message, options.type, options.nonRetryable, options.details, options.cause);
  }

  /**
   * A failure an activity's retry policy may retry.
   *
   * @example
   * ```ts
   * import { ApplicationFailure } from "./failure.ts";
   * ApplicationFailure.retryable("Service busy", "BusyError");
   * ```
   */
  static retryable(message?: string, type?: string, ...details: unknown[]): ApplicationFailure {
    return new ApplicationFailure(message, type, false, details);
  }

  /**
   * A failure that is never retried.
   *
   * @example
   * ```ts
   * import { ApplicationFailure } from "./failure.ts";
   * ApplicationFailure.nonRetryable("Invalid order", "ValidationError");
   * ```
   */
  static nonRetryable(message?: string, type?: string, ...details: unknown[]): ApplicationFailure {
    return new ApplicationFailure(message, type, true, details);
  }
}
brandClass(ApplicationFailure, "failure", "ApplicationFailure");

/**
 * An operation was cancelled: the workflow was cancelled, or an `AbortSignal` passed to `sleep`,
 * `condition` or `executeActivity` aborted. A workflow that lets it escape after its cancellation
 * was requested ends as cancelled.
 *
 * @example
 * ```ts
 * import { CancelledFailure } from "./failure.ts";
 * new CancelledFailure("Timer cancelled").name; // "CancelledFailure"
 * ```
 */
export class CancelledFailure extends TemporalFailure {
  readonly details: readonly unknown[];
  constructor(message?: string, details: readonly unknown[] = [], cause?: Error) {
    super(message ?? "Cancelled", cause === undefined ? undefined : { cause });
    this.details = details;
  }
}
brandClass(CancelledFailure, "failure", "CancelledFailure");

/**
 * Which timeout of an activity fired.
 *
 * @example
 * ```ts
 * import type { TimeoutType } from "./failure.ts";
 * const type: TimeoutType = "START_TO_CLOSE";
 * ```
 */
export type TimeoutType = "START_TO_CLOSE" | "SCHEDULE_TO_CLOSE";

/**
 * An activity attempt or the whole activity ran out of time.
 *
 * @example
 * ```ts
 * import { TimeoutFailure } from "./failure.ts";
 * new TimeoutFailure("Activity timed out", "START_TO_CLOSE").timeoutType; // "START_TO_CLOSE"
 * ```
 */
export class TimeoutFailure extends TemporalFailure {
  readonly timeoutType: TimeoutType;
  constructor(message: string | undefined, timeoutType: TimeoutType) {
    super(message ?? `Timed out (${timeoutType})`);
    this.timeoutType = timeoutType;
  }
}
brandClass(TimeoutFailure, "failure", "TimeoutFailure");

/**
 * The workflow was terminated with `handle.terminate()`.
 *
 * @example
 * ```ts
 * import { TerminatedFailure } from "./failure.ts";
 * new TerminatedFailure("Terminated by the operator").message;
 * ```
 */
export class TerminatedFailure extends TemporalFailure {
  constructor(message?: string) {
    super(message ?? "Terminated");
  }
}
brandClass(TerminatedFailure, "failure", "TerminatedFailure");

/**
 * Why retrying stopped.
 *
 * @example
 * ```ts
 * import type { RetryState } from "./failure.ts";
 * const state: RetryState = "MAXIMUM_ATTEMPTS_REACHED";
 * ```
 */
export type RetryState =
  | "NON_RETRYABLE_FAILURE"
  | "MAXIMUM_ATTEMPTS_REACHED"
  | "TIMEOUT"
  | "CANCEL_REQUESTED"
  | "UNSPECIFIED";

/**
 * An activity failed for good (its retries are over, it timed out, or it was cancelled); the
 * reason is in `cause`.
 *
 * @example
 * ```ts
 * import { ActivityFailure, ApplicationFailure } from "./failure.ts";
 * try {
 *   // await workflow.executeActivity("charge", [order], { startToCloseTimeout: "10s" });
 * } catch (error) {
 *   if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) console.log(error.cause.type);
 * }
 * ```
 */
export class ActivityFailure extends TemporalFailure {
  readonly activityType: string;
  readonly activityId: string;
  readonly retryState: RetryState;
  constructor(message: string | undefined, activityType: string, activityId: string, retryState: RetryState, cause?: Error) {
    super(message ?? `Activity task failed`, cause === undefined ? undefined : { cause });
    this.activityType = activityType;
    this.activityId = activityId;
    this.retryState = retryState;
  }
}
brandClass(ActivityFailure, "failure", "ActivityFailure");

/**
 * Whether `error` is a cancellation: a {@linkcode CancelledFailure}, or an
 * {@linkcode ActivityFailure} caused by one (Temporal's `isCancellation`).
 *
 * @example
 * ```ts
 * import { CancelledFailure, isCancellation } from "./failure.ts";
 * isCancellation(new CancelledFailure()); // true
 * ```
 */
export function isCancellation(error: unknown): boolean {
  return error instanceof CancelledFailure ||
    (error instanceof ActivityFailure && error.cause instanceof CancelledFailure);
}

/**
 * The JSON form of a failure, as stored in history and passed across the boundary.
 *
 * @example
 * ```ts
 * import type { FailureData } from "./failure.ts";
 * const failure: FailureData = { kind: "application", type: "StockError", message: "out of stock" };
 * ```
 */
export interface FailureData {
  kind: "application" | "cancelled" | "timeout" | "terminated" | "activity";
  /** The error's name (`ApplicationFailure.type` for application failures). */
  type: string;
  message: string;
  stack?: string;
  nonRetryable?: boolean;
  details?: Payload[];
  timeoutType?: TimeoutType;
  activityType?: string;
  activityId?: string;
  retryState?: RetryState;
  cause?: FailureData;
}
