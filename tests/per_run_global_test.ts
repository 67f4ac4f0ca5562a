// The run's global object: every host key, self references bound to the run, writes kept in the run.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { isDeno } from "../loader/runtime.ts";
import { CAPTURED_KEYS, createPerRunGlobal, isNamespaceObject, NAMESPACE_GLOBALS } from "../sandbox/per_run_global.ts";
import { ECMASCRIPT_GLOBALS } from "../sandbox/ecmascript_globals.ts";
import { type RunSlotValue, withRun } from "../sandbox/current_run.ts";
import { isPlainNamespace, runtimeNamespaceGlobals } from "./_namespace_globals.ts";

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

// Issue 12, "Shared namespace objects": every namespace global the runtime has (JSON, Math, Reflect,
// Atomics, Intl, console, WebAssembly, Temporal, Deno, ...) is the run's own copy or a view that
// refuses writes, never the host's object.
const PROBE = "__wfsNamespaceProbe";
type Bag = Record<PropertyKey, unknown>;
const hostGlobal = globalThis as unknown as Bag;
const label = (key: PropertyKey) => String(key);

test("the namespace list is derived from the runtime's own globals and covers every one a run can reach", () => {
  const runtime = runtimeNamespaceGlobals();
  const { global } = createPerRunGlobal({});
  for (const key of runtime.keys()) {
    if (!CAPTURED_KEYS.has(key)) {
      // The sandbox's own registered symbols (the current-run slot) and globals the host defined
      // after the sandbox was loaded: a run does not see them at all.
      assert.equal(key in global, false, `${label(key)} is reachable from a run without being handled`);
      continue;
    }
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, key)!;
    // A host getter's namespace (none today) is isolated when read: the behaviour test below checks it.
    if ("value" in descriptor) assert.ok(NAMESPACE_GLOBALS.has(key), `${label(key)} is missing from NAMESPACE_GLOBALS`);
  }
  for (const key of NAMESPACE_GLOBALS.keys()) {
    assert.ok(runtime.has(key), `${label(key)} is in NAMESPACE_GLOBALS but is no namespace global`);
    assert.equal(isNamespaceObject(hostGlobal[key]), isPlainNamespace(hostGlobal[key]), label(key));
  }
  for (const name of ["JSON", "Math", "Reflect", "Atomics", "Intl", "console", "WebAssembly"]) {
    assert.equal(NAMESPACE_GLOBALS.get(name), "isolate", name);
  }
  if ("Temporal" in globalThis) assert.equal(NAMESPACE_GLOBALS.get("Temporal"), "isolate");
  if (isDeno) assert.equal(NAMESPACE_GLOBALS.get("Deno"), "refuse");
  for (const name of ["process", "performance", "navigator", "crypto", "globalThis", "Date", "Array"]) {
    assert.equal(NAMESPACE_GLOBALS.has(name), false, `${name} is not a namespace`);
  }
});

test("a run's namespace globals are its own: a write reaches neither another run nor the host", () => {
  const a = createPerRunGlobal({});
  const b = createPerRunGlobal({});
  const checked: string[] = [];
  for (const [key, host] of runtimeNamespaceGlobals()) {
    if (!CAPTURED_KEYS.has(key)) continue;
    const name = label(key);
    const mine = a.global[key] as Bag;
    assert.ok(typeof mine === "object" && mine !== null, name);
    assert.notEqual(mine, host, `${name} is the host's object`);
    assert.equal(a.global[key], mine, `${name} is one object within the run`);
    // A refused namespace is one view for every run: it refuses writes, so nothing is shared through it.
    const refused = NAMESPACE_GLOBALS.get(key) === "refuse";
    if (!refused) assert.notEqual(b.global[key], mine, `${name} is shared by two runs`);
    assert.equal(Object.prototype.toString.call(mine), Object.prototype.toString.call(host), name);
    // Members are the host's own values by identity; nested namespaces are the run's too.
    for (const member of Reflect.ownKeys(host)) {
      const descriptor = Object.getOwnPropertyDescriptor(host, member)!;
      if (!("value" in descriptor)) continue;
      const where = `${name}.${label(member)}`;
      if (isPlainNamespace(descriptor.value)) assert.notEqual(mine[member], descriptor.value, where);
      else assert.equal(mine[member], descriptor.value, where);
    }
    if (refused) {
      assert.throws(() => {
        mine[PROBE] = "run A";
      }, (error: Error & { code?: string }) => {
        assert.ok(error instanceof TypeError);
        assert.equal(error.code, "WFS_RESTRICTED");
        assert.equal(
          error.message,
          `Cannot modify '${name}.${PROBE}' from workflow code: '${name}' is the host's own object, shared with every ` +
            "run. Keep your own value in a variable instead (WFS_RESTRICTED)",
        );
        return true;
      });
      assert.throws(() => Object.defineProperty(mine, PROBE, { value: 1 }), { code: "WFS_RESTRICTED" });
      assert.throws(() => delete mine[Reflect.ownKeys(host)[0]], { code: "WFS_RESTRICTED" });
    } else {
      mine[PROBE] = "run A";
      assert.equal(mine[PROBE], "run A", `${name}: the run sees its own write`);
    }
    assert.equal((b.global[key] as Bag)[PROBE], undefined, `another run sees ${name}.${PROBE}`);
    assert.equal((host as Bag)[PROBE], undefined, `the host sees ${name}.${PROBE}`);
    checked.push(name);
  }
  assert.ok(checked.includes("JSON") && checked.includes("console"), checked.join(", "));
});

test("the ECMAScript namespaces a module reads as constants are the run's global's, and a nested namespace is the run's too", () => {
  const run = createPerRunGlobal({});
  for (const name of ["JSON", "Math", "Reflect", "Atomics", "Intl"]) {
    const constant = run.constants[ECMASCRIPT_GLOBALS.indexOf(name)];
    assert.equal(constant, run.global[name], name);
    assert.notEqual(constant, hostGlobal[name], name);
  }
  const temporal = hostGlobal.Temporal as { Now: Bag } | undefined;
  if (temporal !== undefined) {
    const mine = run.global.Temporal as { Now: Bag };
    assert.notEqual(mine.Now, temporal.Now);
    assert.equal(mine.Now.instant, temporal.Now.instant);
    mine.Now[PROBE] = 1;
    assert.equal(temporal.Now[PROBE], undefined);
  }
});

test("natives keep working through a run's namespaces: identities, instanceof, a reflect-metadata style polyfill", () => {
  const { global } = createPerRunGlobal({});
  const run = global as unknown as typeof globalThis;
  const { Intl: RunIntl, JSON: RunJSON, Math: RunMath, Reflect: RunReflect, console: runConsole } = run;
  const format = new RunIntl.NumberFormat("en-US");
  assert.ok(format instanceof Intl.NumberFormat);
  assert.equal(format.format(1234.5), "1,234.5");
  assert.equal(RunJSON.stringify(RunJSON.parse('{"a":[1]}')), '{"a":[1]}');
  assert.equal(RunMath.max(1, 3, 2), 3);
  assert.equal(RunMath.PI, Math.PI);
  assert.deepEqual(RunReflect.ownKeys({ a: 1 }), ["a"]);
  assert.equal(runConsole.log, console.log);
  // reflect-metadata defines its functions on the global Reflect and keeps its registry there.
  const registry = Symbol.for("@reflect-metadata:registry");
  Object.defineProperty(RunReflect, "defineMetadata", { value: () => "run's", writable: true, configurable: true });
  Object.defineProperty(RunReflect, registry, { value: new Map(), configurable: true });
  assert.equal((RunReflect as unknown as Bag).defineMetadata instanceof Function, true);
  assert.equal("defineMetadata" in Reflect, false);
  assert.equal(registry in Reflect, false);
  assert.equal(registry in (createPerRunGlobal({}).global.Reflect as object), false);
});

test("a namespace read through the shared layer is the running run's, or with no run a view that refuses writes", () => {
  const run = createPerRunGlobal({});
  const layer = Object.getPrototypeOf(run.global) as Bag;
  const slot = { importing: false, sandboxed: true, host: undefined, globals: run } as RunSlotValue;
  withRun(slot, () => {
    assert.equal(layer.JSON, run.global.JSON);
    assert.equal(layer.console, run.global.console);
  });
  const outside = layer.JSON as Bag;
  assert.notEqual(outside, JSON);
  assert.equal(outside.parse, JSON.parse);
  assert.throws(() => {
    outside[PROBE] = 1;
  }, { name: "TypeError", code: "WFS_RESTRICTED" });
  assert.equal((JSON as unknown as Bag)[PROBE], undefined);
});

test.run();
