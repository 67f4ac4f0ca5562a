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
  QueryFailedError,
  QueryNotRegisteredError,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
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
  assert.throws(() => converter.toPayload(10n), (e: PayloadConverterError) => {
    assert.ok(e instanceof PayloadConverterError && PayloadConverterError.is(e));
    assert.equal(e.name, "PayloadConverterError");
    assert.equal(e.code, "WFS_PAYLOAD");
    assert.match(e.message, /^Cannot convert a value to JSON: .*BigInt.*\. Pass plain data \(objects, arrays, strings, numbers, booleans, null\), or set a payloadConverter that handles this type \(WFS_PAYLOAD\)$/);
    assert.equal(e.hint, PayloadConverterError.HINT);
    assert.ok(e.docs.endsWith("/docs/errors/WFS_PAYLOAD.md"), e.docs);
    assert.ok(e.cause instanceof TypeError, "the JSON error is kept as the cause");
    return true;
  });
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(() => converter.toPayload(cycle), /Cannot convert a value to JSON/);
  assert.throws(() => converter.toPayload(() => 1), /Cannot convert a function to JSON/);
  assert.throws(
    () => converter.fromPayload({ metadata: { encoding: "binary/protobuf" }, data: "" }),
    /encoding 'binary\/protobuf'.*\. Use the payloadConverter that wrote this history \(WFS_PAYLOAD\)$/,
  );
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
  assert.throws(
    () => parseDuration("soon", "retry.initialInterval"),
    /^TypeError: Invalid duration for 'retry\.initialInterval': 'soon'\. Pass milliseconds \(a non-negative number\) or a string such as '500ms'.* \(WFS_INVALID_OPTION\)$/,
  );
  assert.throws(() => parseDuration(-1, "timeout"), /WFS_INVALID_OPTION/);
});

test("the failure classes keep their Symbol.for brands; instanceof tests them, an unbranded subclass walks the prototype", () => {
  for (const klass of [TemporalFailure, ApplicationFailure, CancelledFailure, TimeoutFailure, TerminatedFailure, ActivityFailure]) {
    assert.equal((klass as unknown as { brand: symbol }).brand, Symbol.for(`workflow-sandbox.failure.${klass.name}`));
  }
  const timeout = new TimeoutFailure(undefined, "START_TO_CLOSE");
  assert.equal(timeout.name, "TimeoutFailure");
  assert.ok(timeout instanceof TemporalFailure && timeout instanceof TimeoutFailure && !(timeout instanceof CancelledFailure));
  const foreign = Object.create({ [Symbol.for("workflow-sandbox.failure.CancelledFailure")]: true, [Symbol.for("workflow-sandbox.failure.TemporalFailure")]: true });
  assert.ok(foreign instanceof CancelledFailure && foreign instanceof TemporalFailure);
  class StockFailure extends ApplicationFailure {}
  assert.ok(new StockFailure("x") instanceof StockFailure);
  assert.ok(!(new ApplicationFailure("x") instanceof StockFailure));
});

test("client errors: branded, with code, hint and docs, whether built by the package or by their constructors", () => {
  const cases: [Error & { code: string; hint: string; docs: string }, Function, string][] = [
    [new WorkflowFailedError("Workflow execution failed", new TerminatedFailure()), WorkflowFailedError, "WFS_WORKFLOW_FAILED"],
    [new WorkflowExecutionAlreadyStartedError("order-1", "order"), WorkflowExecutionAlreadyStartedError, "WFS_ALREADY_STARTED"],
    [new WorkflowNotFoundError("No workflow 'x' exists in this environment's store", "x"), WorkflowNotFoundError, "WFS_WORKFLOW_NOT_FOUND"],
    [new QueryNotRegisteredError("No query handler 'x'"), QueryNotRegisteredError, "WFS_QUERY_NOT_REGISTERED"],
    [new QueryFailedError("Query 'x' failed", new Error("boom")), QueryFailedError, "WFS_QUERY_FAILED"],
  ];
  for (const [error, klass, code] of cases) {
    assert.ok(error instanceof klass, klass.name);
    assert.equal(error.name, klass.name);
    assert.equal((klass as unknown as { brand: symbol }).brand, Symbol.for(`workflow-sandbox.error.${klass.name}`));
    assert.equal(error.code, code);
    assert.ok(error.hint.length > 0, `${klass.name} has a hint`);
    assert.ok(error.docs.endsWith(`/docs/errors/${code}.md`), error.docs);
  }
  const started = cases[1]![0] as WorkflowExecutionAlreadyStartedError;
  assert.equal(
    started.message,
    "Cannot start workflow 'order-1' (type 'order'): a run with this id is still running. " +
      "Wait for it (handle.result()), cancel or terminate it, or use another id (WFS_ALREADY_STARTED)",
  );
  assert.deepEqual([started.workflowId, started.workflowType], ["order-1", "order"]);
  assert.equal((cases[0]![0] as WorkflowFailedError).retryState, "UNSPECIFIED");
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
