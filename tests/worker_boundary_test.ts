// The boundary pieces on their own: the JSON payload converter, failure conversion, failure-type
// matching (by name, base class, class brand and Symbol.for brand), durations, command matching.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  defaultPayloadConverter,
  errorToFailure,
  failureToError,
  PayloadConverterError,
  TimeoutFailure,
} from "../mod.ts";
import { NondeterminismError, RestrictedWorkflowAccessError } from "../sandbox/errors.ts";
import { findCommandMismatch } from "../worker/_commands.ts";
import { parseDuration } from "../worker/_duration.ts";
import { matchesErrorTypes } from "../worker/_error_types.ts";

const converter = defaultPayloadConverter;

test("JSON payloads: fresh copies, undefined as binary/null, clear errors for what JSON cannot write", () => {
  const value = { a: [1, { b: "c" }] };
  const copy = converter.fromPayload(converter.toPayload(value));
  assert.deepEqual(copy, value);
  assert.notEqual(copy, value);
  assert.deepEqual(converter.toPayload(undefined), { metadata: { encoding: "binary/null" } });
  assert.equal(converter.fromPayload(converter.toPayload(undefined)), undefined);
  assert.throws(() => converter.toPayload(10n), (e: Error) => e instanceof PayloadConverterError && /WFS_PAYLOAD/.test(e.message));
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(() => converter.toPayload(cycle), /Cannot convert a value to JSON/);
  assert.throws(() => converter.toPayload(() => 1), /Cannot convert a function to JSON/);
  assert.throws(() => converter.fromPayload({ metadata: { encoding: "binary/protobuf" }, data: "" }), /encoding 'binary\/protobuf'/);
});

test("failures round-trip as fresh objects of this package's classes, with type, details and cause chain", () => {
  const original = new ActivityFailure("Activity task failed", "charge", "3", "MAXIMUM_ATTEMPTS_REACHED",
    ApplicationFailure.create({ message: "declined", type: "PaymentError", nonRetryable: true, details: [{ code: 51 }] }));
  const copy = failureToError(JSON.parse(JSON.stringify(errorToFailure(original, converter))), converter);
  assert.ok(copy instanceof ActivityFailure);
  assert.equal(copy.activityType, "charge");
  assert.equal(copy.retryState, "MAXIMUM_ATTEMPTS_REACHED");
  const cause = copy.cause as ApplicationFailure;
  assert.ok(cause instanceof ApplicationFailure);
  assert.deepEqual([cause.type, cause.message, cause.nonRetryable, cause.details], ["PaymentError", "declined", true, [{ code: 51 }]]);
  // A plain error becomes an ApplicationFailure named after the error.
  const plain = failureToError(errorToFailure(new RangeError("too big"), converter), converter) as ApplicationFailure;
  assert.deepEqual([plain.name, plain.type, plain.message], ["ApplicationFailure", "RangeError", "too big"]);
  assert.ok(failureToError(errorToFailure(new CancelledFailure("stop"), converter), converter) instanceof CancelledFailure);
  const timeout = failureToError(errorToFailure(new TimeoutFailure("slow", "SCHEDULE_TO_CLOSE"), converter), converter) as TimeoutFailure;
  assert.equal(timeout.timeoutType, "SCHEDULE_TO_CLOSE");
  // Thrown non-errors and cyclic causes do not break conversion.
  assert.equal(errorToFailure("just a string", converter).message, "just a string");
  const loop = new Error("loop") as Error & { cause?: unknown };
  loop.cause = loop;
  assert.ok(JSON.stringify(errorToFailure(loop, converter)).length > 0);
});

test("failure types match by name, by a base class name, by a class's brand and by a Symbol.for brand", () => {
  const restricted = new RestrictedWorkflowAccessError("globalThis.Date.now.__call__");
  assert.ok(matchesErrorTypes(restricted, ["RestrictedWorkflowAccessError"]));
  assert.ok(matchesErrorTypes(restricted, ["NondeterminismError"]), "a base class by name");
  assert.ok(matchesErrorTypes(restricted, ["Error"]), "Error covers everything");
  assert.ok(matchesErrorTypes(restricted, [NondeterminismError]), "a class with a static brand");
  assert.ok(matchesErrorTypes(restricted, [Symbol.for("workflow-sandbox.error.RestrictedWorkflowAccessError")]));
  assert.ok(!matchesErrorTypes(new NondeterminismError("x"), [RestrictedWorkflowAccessError]));
  assert.ok(!matchesErrorTypes(new TypeError("x"), ["RangeError", Symbol.for("other")]));
  // A class defined in a sandboxed module is a new class per run: the name still matches.
  const runA = class ValidationError extends Error {};
  const runB = class ValidationError extends Error {};
  assert.ok(matchesErrorTypes(new runA("x"), [runB]));
  assert.ok(!matchesErrorTypes(undefined, ["Error"]));
});

test("durations: milliseconds or number-with-unit strings; other values are refused naming the option", () => {
  assert.equal(parseDuration(250, "x"), 250);
  assert.equal(parseDuration("1.5s", "x"), 1500);
  assert.equal(parseDuration("2 m", "x"), 120_000);
  assert.equal(parseDuration("1d", "x"), 86_400_000);
  assert.throws(() => parseDuration("soon", "retry.initialInterval"), /Invalid duration for 'retry\.initialInterval': 'soon'/);
  assert.throws(() => parseDuration(-1, "timeout"), /WFS_INVALID_OPTION/);
});

test("command matching: order and identity must match; recorded patch markers may be skipped", () => {
  const ev = (eventId: number, type: string, extra: Record<string, unknown> = {}) => ({ eventId, type, timestamp: 0, ...extra });
  const schedule = { type: "ScheduleActivity" as const, seq: 1, activityType: "a", args: [], options: {} as never };
  const timer = { type: "StartTimer" as const, seq: 1, durationMs: 5 };
  const recorded = [ev(3, "ActivityTaskScheduled", { activityId: "1", activityType: "a" }), ev(4, "TimerStarted", { timerId: "1" })];
  assert.equal(findCommandMismatch([schedule, timer], recorded), undefined);
  assert.deepEqual(findCommandMismatch([timer, schedule], recorded), { event: recorded[0], command: timer });
  assert.deepEqual(findCommandMismatch([schedule], recorded), { event: recorded[1], command: undefined });
  assert.deepEqual(findCommandMismatch([schedule, timer, timer], recorded), { command: timer });
  assert.ok(findCommandMismatch([{ ...schedule, activityType: "b" }, timer], recorded), "another activity type");
  const withMarker = [ev(3, "MarkerRecorded", { patchId: "p" }), ...recorded];
  assert.equal(findCommandMismatch([schedule, timer], withMarker), undefined);
});

test.run();
