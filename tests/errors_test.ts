import assert from "node:assert/strict";
import { test } from "uvu";
import {
  NondeterminismError,
  RestrictedWorkflowAccessError,
  UnintentionalPassthroughError,
} from "../sandbox/errors.ts";

test("RestrictedWorkflowAccessError: fields, name, code, and Python's message adapted", () => {
  const error = new RestrictedWorkflowAccessError("globalThis.Date.now.__call__", {
    rule: "globalThis.Date.now.__call__",
    location: "workflows/order.ts:12:7",
    reason: "it reads the host clock, so a replay sees a different time",
    hint: "Use workflow.now() instead",
  });
  assert.equal(error.name, "RestrictedWorkflowAccessError");
  assert.equal(error.code, "WFS_RESTRICTED");
  assert.equal(error.qualifiedName, "globalThis.Date.now.__call__");
  assert.equal(error.rule, "globalThis.Date.now.__call__");
  assert.equal(error.location, "workflows/order.ts:12:7");
  assert.equal(
    error.hint,
    "Use workflow.now() instead. If this code is only used deterministically, wrap it in " +
      "workflow.unsafe.sandboxUnrestricted() or pass its module through",
  );
  assert.ok(error.docs.endsWith("/docs/errors/WFS_RESTRICTED.md"), error.docs);
  assert.equal(
    error.message,
    "Cannot access 'globalThis.Date.now.__call__' from workflow code at 'workflows/order.ts:12:7': " +
      "restricted by rule 'globalThis.Date.now.__call__' because it reads the host clock, so a replay sees " +
      "a different time. Use workflow.now() instead. If this code is only used deterministically, wrap it in " +
      "workflow.unsafe.sandboxUnrestricted() or pass its module through (WFS_RESTRICTED)",
  );
  assert.ok(error instanceof NondeterminismError && error instanceof Error);
  assert.match(String(error), /^RestrictedWorkflowAccessError: Cannot access/);
  assert.equal(Object.keys(error).includes("name"), false);
});

test("RestrictedWorkflowAccessError: defaults and a leaf message override", () => {
  assert.equal(
    new RestrictedWorkflowAccessError("fs.readFileSync.__call__").message,
    "Cannot access 'fs.readFileSync.__call__' from workflow code: restricted by rule " +
      "'fs.readFileSync.__call__'. Do this in an activity. If this code is only used deterministically, " +
      "wrap it in workflow.unsafe.sandboxUnrestricted() or pass its module through (WFS_RESTRICTED)",
  );
  const custom = new RestrictedWorkflowAccessError("x.__call__", { overrideMessage: "breakpoint() needs debug mode" });
  assert.equal(custom.message, "breakpoint() needs debug mode");
  assert.equal(custom.rule, undefined);
});

test("UnintentionalPassthroughError starts with Python's exact sentence, then the fix and the code", () => {
  const error = new UnintentionalPassthroughError("tests.lazy_module");
  assert.ok(
    error.message.startsWith("Module tests.lazy_module was not intentionally passed through to the sandbox. "),
    error.message,
  );
  assert.equal(
    error.message,
    "Module tests.lazy_module was not intentionally passed through to the sandbox. Pass it through " +
      "(SandboxRestrictions.withPassthroughModules) or import it inside workflow.unsafe.importsPassedThrough(), " +
      "or choose another import notification policy (WFS_UNINTENTIONAL_PASSTHROUGH)",
  );
  assert.equal(error.hint, UnintentionalPassthroughError.HINT);
  assert.ok(error.docs.endsWith("/docs/errors/WFS_UNINTENTIONAL_PASSTHROUGH.md"), error.docs);
  assert.equal(error.name, "UnintentionalPassthroughError");
  assert.equal(error.code, "WFS_UNINTENTIONAL_PASSTHROUGH");
  assert.equal(error.qualifiedName, "tests.lazy_module");
  assert.equal(NondeterminismError.is(error), false);
});

test("is() and instanceof test the brand, so errors from another copy of the package match", () => {
  // An error made by another copy: same brand, different class objects.
  const foreign = Object.create(
    Object.create(Error.prototype, {
      [Symbol.for("workflow-sandbox.error.NondeterminismError")]: { value: true },
      [Symbol.for("workflow-sandbox.error.RestrictedWorkflowAccessError")]: { value: true },
    }),
  );
  assert.ok(RestrictedWorkflowAccessError.is(foreign));
  assert.ok(NondeterminismError.is(foreign));
  assert.ok(foreign instanceof RestrictedWorkflowAccessError);
  assert.ok(foreign instanceof NondeterminismError);
  assert.equal(UnintentionalPassthroughError.is(foreign), false);
  assert.equal(foreign instanceof UnintentionalPassthroughError, false);
  const plain = new NondeterminismError("replay diverged");
  assert.equal(plain.code, "WFS_NONDETERMINISM");
  assert.equal(RestrictedWorkflowAccessError.is(plain), false);
  assert.equal(plain instanceof RestrictedWorkflowAccessError, false);
  for (const value of [undefined, null, 1, "x", new Error("x")]) assert.equal(NondeterminismError.is(value), false);
  assert.ok(UnintentionalPassthroughError.is(new UnintentionalPassthroughError("zod")));
});

test("a user subclass without a brand keeps ordinary instanceof", () => {
  class ReplayError extends NondeterminismError {}
  const error = new ReplayError("x", { cause: 1 });
  assert.ok(error instanceof ReplayError && error instanceof NondeterminismError);
  assert.equal(new NondeterminismError("y") instanceof ReplayError, false);
  assert.equal(error.cause, 1);
});

test.run();
