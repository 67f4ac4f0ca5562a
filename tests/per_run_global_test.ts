// The run's global object: every host key, self references bound to the run, writes kept in the run.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { CAPTURED_KEYS, createPerRunGlobal } from "../sandbox/per_run_global.ts";
import { ECMASCRIPT_GLOBALS } from "../sandbox/ecmascript_globals.ts";

test("every key the host global had when captured is present in the run's global", () => {
  const { global } = createPerRunGlobal({});
  const missing = [...CAPTURED_KEYS].filter((key) => !(key in global)).map(String);
  assert.deepEqual(missing, []);
  assert.ok(CAPTURED_KEYS.has("globalThis") && CAPTURED_KEYS.size > 50);
});

test("self references point to the run's global", () => {
  const { global } = createPerRunGlobal({});
  assert.equal(global.globalThis, global);
  for (const name of ["global", "self", "window"]) {
    if ((globalThis as Record<string, unknown>)[name] === globalThis) assert.equal(global[name], global, name);
  }
});

test("writes, additions and deletions stay in the run", () => {
  const a = createPerRunGlobal({}).global;
  const b = createPerRunGlobal({}).global;
  a.runOnlyValue = 1;
  delete a.structuredClone;
  assert.equal(b.runOnlyValue, undefined);
  assert.equal(typeof b.structuredClone, "function");
  assert.equal((globalThis as Record<string, unknown>).runOnlyValue, undefined);
  assert.equal(typeof globalThis.structuredClone, "function");
});

test("ECMAScript globals are constants: writing one fails loudly instead of being half-seen", () => {
  const { global } = createPerRunGlobal({});
  assert.throws(() => {
    "use strict";
    (global as Record<string, unknown>).Math = {};
  }, TypeError);
});

test("strict code assigning a name the run does not have gets a ReferenceError, as in a fresh process", () => {
  const { strictScope } = createPerRunGlobal({});
  assert.throws(() => Reflect.set(strictScope, "neverDeclaredInThisRun", 1), (error: Error & { code?: string }) => {
    assert.ok(error instanceof ReferenceError);
    assert.equal(error.name, "ReferenceError");
    assert.equal(error.code, "WFS_UNDECLARED_GLOBAL");
    assert.equal(
      error.message,
      "neverDeclaredInThisRun is not defined. Declare it (let neverDeclaredInThisRun) or create the global first " +
        "(globalThis.neverDeclaredInThisRun = ...) (WFS_UNDECLARED_GLOBAL)",
    );
    return true;
  });
});

test("overrides replace values for one run and the constants follow them", () => {
  const fakeMath = { ...Math };
  const run = createPerRunGlobal({ Math: { value: fakeMath } });
  assert.equal(run.global.Math, fakeMath);
  assert.equal(run.constants[ECMASCRIPT_GLOBALS.indexOf("Math")], fakeMath);
  assert.equal(run.constants[ECMASCRIPT_GLOBALS.indexOf("globalThis")], run.global);
});

test("the sloppy scope claims unknown names for the run and lets host names through", () => {
  const run = createPerRunGlobal({});
  const scope = run.sloppyScope as Record<string, unknown>;
  assert.equal("someImplicitGlobal" in scope, true);
  scope.someImplicitGlobal = 42;
  assert.equal(run.global.someImplicitGlobal, 42);
  assert.equal("someImplicitGlobal" in globalThis, false);
});

test("assigning a host global in a run lands on that run only, and never in a layer built later", () => {
  const run = createPerRunGlobal({});
  (run.global as Record<string, unknown>).fetch = "polyfill";
  assert.equal((run.global as Record<string, unknown>).fetch, "polyfill");
  assert.notEqual((globalThis as Record<string, unknown>).fetch, "polyfill");
  const later = createPerRunGlobal({ workflowSandboxTestOnly: { value: 1 } });
  assert.notEqual((later.global as Record<string, unknown>).fetch, "polyfill");
  assert.notEqual((createPerRunGlobal({}).global as Record<string, unknown>).fetch, "polyfill");
});

test("shared globals answer each run's own value from the run's object, and an assignment stays in the run", () => {
  const values = new WeakMap<object, string>();
  const shared = {
    descriptors: {
      fetch: {
        enumerable: true,
        get(this: object) {
          return values.get(this);
        },
        set(this: object, value: unknown) {
          Object.defineProperty(this, "fetch", { value, writable: true, configurable: true, enumerable: true });
        },
      },
    },
  };
  const a = createPerRunGlobal({}, shared).global as Record<string, unknown>;
  const b = createPerRunGlobal({}, shared).global as Record<string, unknown>;
  values.set(a, "a's fetch");
  values.set(b, "b's fetch");
  assert.equal(a.fetch, "a's fetch");
  assert.equal(b.fetch, "b's fetch");
  assert.equal(Object.getPrototypeOf(a), Object.getPrototypeOf(b), "one layer per runner");
  assert.ok(Object.isFrozen(Object.getPrototypeOf(a)));
  assert.equal(Object.hasOwn(a, "fetch"), false);
  assert.equal(delete a.fetch, true);
  assert.equal(a.fetch, "a's fetch", "deleting removes nothing: the name still resolves to the run's value");
  a.fetch = "polyfill";
  assert.equal(a.fetch, "polyfill");
  assert.equal(b.fetch, "b's fetch");
  assert.throws(() => createPerRunGlobal({}, { descriptors: { Date: { value: 1 } } }), {
    name: "Error",
    code: "WFS_INTERNAL",
    message: /^A shared global cannot be an ECMAScript global: 'Date'\. Pass ECMAScript globals as per-run overrides .* \(WFS_INTERNAL\)$/,
  });
});

test.run();
