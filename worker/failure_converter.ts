/**
 * Errors cross the host/workflow boundary as {@linkcode FailureData}: an error thrown on one side
 * is rebuilt on the other as a fresh failure object, never passed by reference. Plain errors
 * become {@linkcode ApplicationFailure}s whose `type` is the error's name, as in Temporal.
 * @module
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  type FailureData,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from "./failure.ts";
import { fromPayloads, type PayloadConverter, toPayloads } from "./payload_converter.ts";

/** Causes nested deeper than this are cut, so a cyclic `cause` chain cannot loop. */
const MAX_CAUSE_DEPTH = 20;

/**
 * Converts any thrown value to its JSON form.
 *
 * @example
 * ```ts
 * import { errorToFailure } from "./failure_converter.ts";
 * import { defaultPayloadConverter } from "./payload_converter.ts";
 * errorToFailure(new TypeError("bad"), defaultPayloadConverter); // { kind: "application", type: "TypeError", ... }
 * ```
 */
export function errorToFailure(error: unknown, converter: PayloadConverter, depth = 0): FailureData {
  if (!(error instanceof Error) && !(typeof error === "object" && error !== null && "message" in error)) {
    return { kind: "application", type: "Error", message: typeof error === "string" ? error : safeString(error) };
  }
  const e = error as Error & Record<string, unknown>;
  const base: FailureData = {
    kind: "application",
    type: typeof e.name === "string" && e.name !== "" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : safeString(e.message),
  };
  if (typeof e.stack === "string") base.stack = e.stack;
  if (e.cause !== undefined && depth < MAX_CAUSE_DEPTH) base.cause = errorToFailure(e.cause, converter, depth + 1);
  if (e instanceof ApplicationFailure) {
    base.type = e.type;
    base.nonRetryable = e.nonRetryable;
    if (e.details.length > 0) base.details = toPayloads(converter, e.details);
  } else if (e instanceof CancelledFailure) {
    base.kind = "cancelled";
    if (e.details.length > 0) base.details = toPayloads(converter, e.details);
  } else if (e instanceof TimeoutFailure) {
    base.kind = "timeout";
    base.timeoutType = e.timeoutType;
  } else if (e instanceof TerminatedFailure) {
    base.kind = "terminated";
  } else if (e instanceof ActivityFailure) {
    base.kind = "activity";
    base.activityType = e.activityType;
    base.activityId = e.activityId;
    base.retryState = e.retryState;
  } else if (e.nonRetryable === true) {
    base.nonRetryable = true;
  }
  return base;
}

/**
 * Rebuilds an error from its JSON form: a fresh object of this package's failure classes.
 *
 * @example
 * ```ts
 * import { failureToError } from "./failure_converter.ts";
 * import { defaultPayloadConverter } from "./payload_converter.ts";
 * const error = failureToError({ kind: "application", type: "TypeError", message: "bad" }, defaultPayloadConverter);
 * ```
 */
export function failureToError(failure: FailureData, converter: PayloadConverter): TemporalFailure {
  const cause = failure.cause === undefined ? undefined : failureToError(failure.cause, converter);
  let error: TemporalFailure;
  switch (failure.kind) {
    case "cancelled":
      error = new CancelledFailure(failure.message, fromPayloads(converter, failure.details), cause);
      break;
    case "timeout":
      error = new TimeoutFailure(failure.message, failure.timeoutType ?? "START_TO_CLOSE");
      break;
    case "terminated":
      error = new TerminatedFailure(failure.message);
      break;
    case "activity":
      error = new ActivityFailure(
        failure.message,
        failure.activityType ?? "",
        failure.activityId ?? "",
        failure.retryState ?? "UNSPECIFIED",
        cause,
      );
      break;
    default:
      error = new ApplicationFailure(
        failure.message,
        failure.type,
        failure.nonRetryable ?? false,
        fromPayloads(converter, failure.details),
        cause,
      );
  }
  if (failure.stack !== undefined) error.stack = failure.stack;
  return error;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
