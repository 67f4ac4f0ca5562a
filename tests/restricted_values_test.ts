import assert from "node:assert/strict";
import * as fsNamespace from "node:fs";
import { createRequire } from "node:module";
import * as pathNamespace from "node:path";
import { test } from "uvu";
import { z } from "zod";
import { RestrictedWorkflowAccessError } from "../sandbox/errors.ts";
import {
  type RestrictionContext,
  type RestrictionHit,
  restrictConstructor,
  restrictedAccessError,
  restrictNamespace,
  restrictProperty,
  restrictValue,
} from "../sandbox/restricted_values.ts";
import { exportPath, qualifiedName } from "../sandbox/rule_path.ts";
import { SandboxMatcher } from "../sandbox/sandbox_matcher.ts";
import { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";

const ROOT = SandboxRestrictions.invalidModuleMembersDefault;
const require = createRequire(import.meta.url);

function run(options: { isRuntime?: boolean; unrestricted?: boolean } = {}) {
  const hits: RestrictionHit[] = [];
  const state = { isRuntime: options.isRuntime ?? true, unrestricted: options.unrestricted ?? false };
  const ctx: RestrictionContext = {
    get isRuntime() {
      return state.isRuntime;
    },
    get unrestricted() {
      return state.unrestricted;
    },
    report: (hit) => void hits.push(hit),
    locate: () => "workflows/order.ts:12:7",
  };
  return { hits, ctx, state };
}

function denied(action: () => unknown): RestrictedWorkflowAccessError {
  try {
    action();
  } catch (error) {
    if (error instanceof RestrictedWorkflowAccessError) return error;
    throw error;
  }
  throw new Error("not denied");
}

test("Date: a Proxy keeps instanceof, Date.UTC, JSON and structuredClone; denies the clock", () => {
  const { ctx } = run();
  const SandboxDate = restrictConstructor(["globalThis", "Date"], Date, ROOT, ctx);
  const date = new SandboxDate(0);
  assert.ok(date instanceof Date);
  assert.ok(date instanceof SandboxDate);
  assert.ok(new Date(5) instanceof SandboxDate); // a host date
  assert.equal(SandboxDate.prototype, Date.prototype);
  assert.equal(Object.prototype.toString.call(date), "[object Date]");
  assert.equal(JSON.stringify({ date }), '{"date":"1970-01-01T00:00:00.000Z"}');
  const clone = structuredClone(date);
  assert.ok(clone instanceof SandboxDate);
  assert.equal(clone.getTime(), 0);
  assert.equal(SandboxDate.UTC(2024, 0, 1), Date.UTC(2024, 0, 1));
  assert.equal(SandboxDate.UTC, Date.UTC);
  assert.equal(date.constructor, SandboxDate); // (new Date(0)).constructor.now() stays restricted
  assert.equal(denied(() => SandboxDate.now()).qualifiedName, "globalThis.Date.now.__call__");
  assert.equal(denied(() => new SandboxDate()).qualifiedName, "globalThis.Date.__new__.(no arguments)");
  assert.equal(denied(() => (SandboxDate as unknown as () => string)()).qualifiedName, "globalThis.Date.__call__");
  assert.equal(denied(() => (date.constructor as DateConstructor).now()).qualifiedName, "globalThis.Date.now.__call__");
  assert.equal(z.date().parse(date), date); // zod checks `instanceof Date` with the host Date
});

test("Date: subclassing keeps statics, instanceof and the restrictions", () => {
  const { ctx } = run();
  const SandboxDate = restrictConstructor(["globalThis", "Date"], Date, ROOT, ctx);
  class Deadline extends SandboxDate {
    static fromSeconds(seconds: number) {
      return new Deadline(seconds * 1000);
    }
    seconds() {
      return this.getTime() / 1000;
    }
  }
  const deadline = Deadline.fromSeconds(42);
  assert.equal(deadline.seconds(), 42);
  assert.ok(deadline instanceof Deadline && deadline instanceof SandboxDate && deadline instanceof Date);
  assert.equal(new SandboxDate(0) instanceof Deadline, false);
  assert.equal(Deadline.UTC(1970, 0, 1), 0);
  assert.equal(denied(() => new Deadline()).qualifiedName, "globalThis.Date.__new__.(no arguments)");
  assert.equal(denied(() => Deadline.now()).qualifiedName, "globalThis.Date.now.__call__");
  (Deadline as unknown as { label: string }).label = "own static"; // goes to the subclass
  assert.equal((Deadline as unknown as { label: string }).label, "own static");
});

test("Date: local-time methods and argument forms warn and go on; UTC ones do not", () => {
  const { ctx, hits } = run();
  const SandboxDate = restrictConstructor(["globalThis", "Date"], Date, ROOT, ctx);
  const date = new SandboxDate(Date.UTC(2024, 4, 1, 12));
  assert.equal(date.getHours(), new Date(Date.UTC(2024, 4, 1, 12)).getHours());
  date.getUTCHours();
  date.toISOString();
  date.toLocaleString("en-US", { timeZone: "UTC" });
  assert.equal(typeof `${date}`, "string"); // toString through Symbol.toPrimitive
  new SandboxDate(2024, 4, 1);
  new SandboxDate("2024-05-01T10:00");
  new SandboxDate("2024-05-01T10:00Z");
  new SandboxDate("2024-05-01");
  SandboxDate.parse("Wed, 01 May 2024 10:00:00 GMT");
  SandboxDate.parse("May 1, 2024");
  assert.deepEqual(hits.map((hit) => [hit.qualifiedName, hit.warning]), [
    ["globalThis.Date.prototype.getHours.__call__", true],
    ["globalThis.Date.prototype.toString.__call__", true],
    ["globalThis.Date.__new__.(local date fields)", true],
    ["globalThis.Date.__new__.(string without offset)", true],
    ["globalThis.Date.parse.__call__.(string without offset)", true],
  ]);
  assert.equal(hits[0].category, "NondeterminismWarning");
  assert.equal(hits[0].location, "workflows/order.ts:12:7");
  assert.match(hits[0].message, /^'globalThis\.Date\.prototype\.getHours\.__call__' may not replay identically because its result depends on the host time zone\. Use getUTCHours\(\) instead \(at 'workflows\/order\.ts:12:7'\)$/);
});

test("values with internal slots are never wrapped", () => {
  const { ctx } = run();
  const values = [new Map([[1, 2]]), Promise.resolve(1), new Uint8Array(2), new Intl.NumberFormat("en-US"), Buffer.from("x")];
  for (const value of values) assert.equal(restrictValue(["globalThis", "JSON"], value, ROOT, ctx), value);
  class Account {
    #balance = 10;
    balance() {
      return this.#balance;
    }
  }
  const account = new Account();
  assert.equal(restrictValue(["app", "account"], account, ROOT, ctx), account);
  // Instances made by restricted constructors are real instances.
  const SandboxIntl = restrictValue(["globalThis", "Intl"], Intl, ROOT, ctx);
  const format = new SandboxIntl.DateTimeFormat("en-US", { timeZone: "UTC" });
  assert.equal(Object.getPrototypeOf(format), Intl.DateTimeFormat.prototype);
  assert.equal(format.format(0), "1/1/1970");
  assert.equal(Intl.DateTimeFormat.prototype.formatToParts.call(format, 0)[0].value, "1"); // a brand check
  assert.ok(new SandboxIntl.NumberFormat("en-US") instanceof Intl.NumberFormat);
  const SandboxDate = restrictConstructor(["globalThis", "Date"], Date, ROOT, ctx);
  assert.equal(Date.prototype.getTime.call(new SandboxDate(7)), 7); // a brand check on the instance
});

test("namespaces: a plain copy, raw members by identity, restricted members replaced", () => {
  const { ctx } = run();
  const math = restrictValue(["globalThis", "Math"], Math, ROOT, ctx);
  assert.notEqual(math, Math);
  assert.equal(math.max, Math.max);
  assert.equal(math.PI, Math.PI);
  assert.equal(Object.prototype.toString.call(math), "[object Math]");
  assert.notEqual(math.random, Math.random);
  assert.equal(math.random, math.random); // one restricted value per run
  assert.equal(denied(() => math.random()).qualifiedName, "globalThis.Math.random.__call__");
  (math as unknown as { answer: number }).answer = 42; // stays in the run's copy
  assert.equal((Math as unknown as { answer?: number }).answer, undefined);
  const other = restrictValue(["globalThis", "Math"], Math, ROOT, run().ctx);
  assert.notEqual(other, math);
  assert.notEqual(other.random, math.random);
  const path = restrictNamespace("node:path", pathNamespace, ROOT, ctx);
  assert.deepEqual(Object.keys(path).sort(), Object.keys(pathNamespace).sort());
  assert.equal(path.join, pathNamespace.join);
  assert.equal((path.default as typeof pathNamespace).join, pathNamespace.join);
  assert.equal(path.resolve, (path.default as typeof pathNamespace).resolve);
});

test("host methods get the host instance as this (crypto, performance, navigator)", () => {
  const importing = run({ isRuntime: false });
  const crypto = restrictValue(["globalThis", "crypto"], globalThis.crypto, ROOT, importing.ctx);
  assert.ok(crypto instanceof Crypto);
  assert.equal(denied(() => crypto.randomUUID()).qualifiedName, "globalThis.crypto.randomUUID.__call__");
  const performance = restrictValue(["globalThis", "performance"], globalThis.performance, ROOT, importing.ctx);
  assert.equal(typeof performance.now(), "number"); // run-only: fine while importing
  assert.equal(typeof performance.timeOrigin, "number");
  if (typeof navigator !== "undefined") {
    const nav = restrictValue(["globalThis", "navigator"], navigator, ROOT, importing.ctx);
    assert.equal(typeof nav.hardwareConcurrency, "number");
  }
});

test("run-only rules pass at import time and apply once the workflow runs", () => {
  const { ctx, state, hits } = run({ isRuntime: false });
  const process = restrictValue(["globalThis", "process"], globalThis.process, ROOT, ctx);
  assert.equal(typeof process.platform, "string");
  assert.equal(typeof process.env.PATH, "string");
  assert.equal(typeof process.hrtime.bigint(), "bigint");
  const math = restrictValue(["globalThis", "Math"], Math, ROOT, ctx);
  assert.equal(denied(() => math.random()).qualifiedName, "globalThis.Math.random.__call__"); // import-and-run
  state.isRuntime = true;
  assert.equal(denied(() => process.platform).qualifiedName, "globalThis.process.platform");
  assert.equal(denied(() => process.env.PATH).qualifiedName, "globalThis.process.env.PATH");
  assert.equal(denied(() => Object.keys(process.env)).qualifiedName, "globalThis.process.env.*");
  assert.equal(denied(() => process.hrtime.bigint()).qualifiedName, "globalThis.process.hrtime.bigint");
  assert.equal(denied(() => process.exit(1)).rule, "globalThis.process.exit.__call__");
  assert.equal(denied(() => (process as unknown as Record<string, unknown>).binding).rule, "globalThis.process.binding");
  assert.equal(denied(() => process.argv[0]).rule, "globalThis.process.*");
  process.nextTick(() => {}); // allowed on purpose
  assert.equal(hits.length, 8);
});

test("sandboxUnrestricted: nothing is checked or reported", () => {
  const { ctx, state, hits } = run({ unrestricted: true });
  const math = restrictValue(["globalThis", "Math"], Math, ROOT, ctx);
  const SandboxDate = restrictConstructor(["globalThis", "Date"], Date, ROOT, ctx);
  assert.equal(typeof math.random(), "number");
  assert.equal(typeof SandboxDate.now(), "number");
  assert.ok(new SandboxDate() instanceof Date);
  new SandboxDate(0).getHours();
  assert.deepEqual(hits, []);
  state.unrestricted = false;
  assert.throws(() => math.random(), RestrictedWorkflowAccessError);
  assert.equal(hits.length, 1);
});

test("escapes through reflection reach the restricted value, not the host one", () => {
  const { ctx } = run();
  const SandboxDate = restrictConstructor(["globalThis", "Date"], Date, ROOT, ctx);
  const descriptor = Object.getOwnPropertyDescriptor(SandboxDate, "now")!;
  assert.equal(denied(() => descriptor.value()).qualifiedName, "globalThis.Date.now.__call__");
  assert.equal(denied(() => Reflect.get(SandboxDate, "now").call(null)).qualifiedName, "globalThis.Date.now.__call__");
  assert.equal(denied(() => Reflect.construct(SandboxDate, [])).qualifiedName, "globalThis.Date.__new__.(no arguments)");
  assert.equal(denied(() => Reflect.apply(SandboxDate, undefined, [])).qualifiedName, "globalThis.Date.__call__");
  const math = restrictValue(["globalThis", "Math"], Math, ROOT, ctx);
  assert.equal(denied(() => Object.getOwnPropertyDescriptor(math, "random")!.value()).qualifiedName, "globalThis.Math.random.__call__");
  // Known limit: the prototype of a class is the real one (a Proxy invariant), so a method taken from
  // it is the host's, and a host date's constructor is the host Date.
  assert.equal(SandboxDate.prototype.getHours, Date.prototype.getHours);
  assert.equal(typeof (new Date(0).constructor as DateConstructor).now(), "number");
});

test("runs do not share restricted values or the unrestricted state", () => {
  const first = run({ unrestricted: true });
  const second = run();
  const firstMath = restrictValue(["globalThis", "Math"], Math, ROOT, first.ctx);
  const secondMath = restrictValue(["globalThis", "Math"], Math, ROOT, second.ctx);
  assert.equal(typeof firstMath.random(), "number");
  assert.throws(() => secondMath.random(), RestrictedWorkflowAccessError);
  assert.equal(first.hits.length, 0);
  assert.equal(second.hits.length, 1);
});

test("every hit is reported, even when workflow code catches the error", () => {
  const { ctx, hits } = run();
  const math = restrictValue(["globalThis", "Math"], Math, ROOT, ctx);
  const random = () => {
    try {
      return math.random();
    } catch {
      return 0.5; // a library's silent fallback
    }
  };
  assert.equal(random() + random(), 1);
  assert.equal(hits.length, 2);
  const [hit] = hits;
  assert.equal(hit.qualifiedName, "globalThis.Math.random.__call__");
  assert.equal(hit.rule, "globalThis.Math.random.__call__");
  assert.equal(hit.warning, false);
  assert.ok(hit.error instanceof RestrictedWorkflowAccessError);
  assert.equal(hit.location, "workflows/order.ts:12:7");
  assert.equal(
    hit.message,
    "Cannot access 'globalThis.Math.random.__call__' from workflow code at 'workflows/order.ts:12:7': " +
      "restricted by rule 'globalThis.Math.random.__call__' because it draws from the host's random source, " +
      "so a replay sees different values. Use workflow.random() instead. If this code is only used " +
      "deterministically, wrap it in workflow.unsafe.sandboxUnrestricted() or pass its module through " +
      "(WFS_RESTRICTED)",
  );
});

test("path model: every import form of a built-in reaches the same rule path", async () => {
  const { ctx } = run();
  const forms: [string, () => unknown][] = [
    ["named", () => restrictNamespace("node:fs", fsNamespace, ROOT, ctx).readFileSync],
    ["default", () => (restrictNamespace("node:fs", fsNamespace, ROOT, ctx).default as typeof fsNamespace).readFileSync],
    ["namespace", () => restrictNamespace("fs", fsNamespace, ROOT, ctx).readFileSync],
    ["require", () => restrictNamespace("fs", require("node:fs"), ROOT, ctx).readFileSync],
  ];
  const dynamic = await import("node:fs");
  forms.push(["dynamic", () => restrictNamespace("node:fs", dynamic, ROOT, ctx).readFileSync]);
  for (const [form, readFileSync] of forms) {
    const error = denied(() => (readFileSync() as (path: string) => unknown)("/etc/hostname"));
    assert.equal(error.qualifiedName, "fs.readFileSync.__call__", form);
    assert.equal(error.rule, "fs.*", form);
  }
  assert.deepEqual(exportPath("node:fs", "default", "readFileSync", "__call__"), ["fs", "readFileSync", "__call__"]);
});

test("python §5.2 item 4 at the value level: qualified names of denied reads", () => {
  const { ctx } = run();
  const root = SandboxMatcher.nestedChild(
    ["RestrictableObject"],
    new SandboxMatcher({
      children: {
        foo: new SandboxMatcher({ access: ["bar"] }),
        qux: new SandboxMatcher({ children: { foo: new SandboxMatcher({ access: ["foo"] }) } }),
        some_dict: new SandboxMatcher({
          children: {
            key1: new SandboxMatcher({ access: ["subkey2"] }),
            "key.2": new SandboxMatcher({ access: ["subkey2"] }),
          },
        }),
      },
    }),
  );
  const leaf = () => ({ bar: 1, foo: { bar: 2 } });
  const object = restrictValue(["RestrictableObject"], {
    bar: 1,
    foo: leaf(),
    qux: { bar: 1, foo: { bar: 2, foo: leaf() } },
    some_dict: { key1: { subkey1: "val", subkey2: "val" }, "key.2": { subkey1: "val", subkey2: "val" } },
  }, root, ctx);
  void [object.bar, object.foo.foo, object.qux.bar, object.qux.foo.bar, object.some_dict.key1.subkey1, object.some_dict["key.2"].subkey1];
  assert.equal(denied(() => object.foo.bar).qualifiedName, "RestrictableObject.foo.bar");
  assert.equal(denied(() => object.qux.foo.foo.bar).qualifiedName, "RestrictableObject.qux.foo.foo");
  assert.equal(denied(() => object.some_dict.key1.subkey2).qualifiedName, "RestrictableObject.some_dict.key1.subkey2");
  assert.equal(denied(() => object.some_dict["key.2"].subkey2).qualifiedName, "RestrictableObject.some_dict.key.2.subkey2");
});

test("restricted host objects refuse writes: they are shared by every run", () => {
  const { ctx } = run();
  const SandboxDate = restrictConstructor(["globalThis", "Date"], Date, ROOT, ctx);
  assert.throws(
    () => Object.assign(SandboxDate, { now: () => 0 }),
    {
      name: "TypeError",
      code: "WFS_RESTRICTED",
      hint: "Keep your own value in a variable instead",
      message: "Cannot modify 'globalThis.Date.now' from workflow code: 'globalThis.Date' is shared with the host " +
        "and every run. Keep your own value in a variable instead (WFS_RESTRICTED)",
    },
  );
  assert.throws(() => Object.defineProperty(SandboxDate, "x", { value: 1 }), TypeError);
  assert.throws(() => Object.freeze(SandboxDate), TypeError);
  assert.equal(Object.isFrozen(Date), false);
  const process = restrictValue(["globalThis", "process"], globalThis.process, ROOT, run({ isRuntime: false }).ctx);
  assert.throws(() => {
    process.env.WFS_TEST = "1";
  }, TypeError);
  assert.equal(globalThis.process.env.WFS_TEST, undefined);
});

test("restrictProperty: access rules become a checking getter; unrestricted descriptors come back as is", () => {
  const { ctx, hits } = run();
  const json = Object.getOwnPropertyDescriptor(globalThis, "JSON")!;
  assert.equal(restrictProperty(["globalThis", "JSON"], json, globalThis, ROOT, ctx), json);
  const globals: Record<string, unknown> = {};
  const bootstrap = { value: () => {}, writable: true, enumerable: false, configurable: true };
  Object.defineProperty(globals, "nodeBootstrap", restrictProperty(["globalThis", "nodeBootstrap"], bootstrap, globalThis, ROOT, ctx));
  assert.equal(denied(() => globals.nodeBootstrap).qualifiedName, "globalThis.nodeBootstrap");
  const fetch = { value: async () => new Response("x"), writable: true, enumerable: true, configurable: true };
  Object.defineProperty(globals, "fetch", restrictProperty(["globalThis", "fetch"], fetch, globalThis, ROOT, ctx));
  assert.equal(typeof globals.fetch, "function");
  assert.equal(denied(() => (globals.fetch as () => unknown)()).qualifiedName, "globalThis.fetch.__call__");
  assert.equal(hits.length, 2);
  assert.throws(() => restrictProperty([], json, globalThis, ROOT, ctx), {
    name: "TypeError",
    code: "WFS_INVALID_OPTION",
    message: "Cannot restrict a property as the path is empty. Pass a rule path such as ['globalThis', 'fetch'] " +
      "(WFS_INVALID_OPTION)",
  });
});

test("restrictConstructor refuses a non-function with a message naming the path", () => {
  assert.throws(
    () => restrictConstructor(["globalThis", "Math"], Math as unknown as Function, ROOT, run().ctx),
    {
      name: "TypeError",
      code: "WFS_INVALID_OPTION",
      message: "Cannot restrict 'globalThis.Math' as a constructor: it is a object. Pass a function, or restrict " +
        "the value with restrictValue() (WFS_INVALID_OPTION)",
    },
  );
  assert.equal(qualifiedName(["globalThis", "Math"]), "globalThis.Math");
});

test("a matcher's leafMessage replaces what happened; the fix, the code and the fields stay", () => {
  const { ctx, hits } = run();
  const root = SandboxMatcher.nestedChild(
    ["RestrictableObject", "open", "__call__"],
    new SandboxMatcher({ matchSelf: true, leafMessage: "RestrictableObject.open() needs a lock held by an activity" }),
  );
  const object = restrictValue(["RestrictableObject"], { open: () => 1 }, root, ctx);
  const error = denied(() => object.open());
  assert.equal(
    error.message,
    "RestrictableObject.open() needs a lock held by an activity. Do this in an activity. If this code is only " +
      "used deterministically, wrap it in workflow.unsafe.sandboxUnrestricted() or pass its module through " +
      "(WFS_RESTRICTED)",
  );
  assert.equal(error.hint, RestrictedWorkflowAccessError.defaultHint());
  assert.equal(error.code, "WFS_RESTRICTED");
  assert.equal(error.qualifiedName, "RestrictableObject.open.__call__");
  assert.equal(error.rule, "RestrictableObject.open.__call__");
  assert.equal(error.location, "workflows/order.ts:12:7");
  assert.equal(hits[0].message, error.message);
});

test("restrictedAccessError builds the same error as the constructor, through the factory", () => {
  const options = {
    rule: "fs.*",
    location: "workflows/order.ts:3:1",
    reason: "it reads the host's files",
    hint: "Read files in an activity",
  };
  const built = restrictedAccessError("fs.readFileSync.__call__", options);
  const constructed = new RestrictedWorkflowAccessError("fs.readFileSync.__call__", options);
  assert.ok(built instanceof RestrictedWorkflowAccessError && RestrictedWorkflowAccessError.is(built));
  assert.equal(built.name, "RestrictedWorkflowAccessError");
  for (const key of ["message", "code", "hint", "docs", "qualifiedName", "rule", "location"] as const) {
    assert.equal(built[key], constructed[key], key);
  }
  assert.match(built.message, /^Cannot access 'fs\.readFileSync\.__call__' from workflow code at 'workflows\/order\.ts:3:1': restricted by rule 'fs\.\*' because it reads the host's files\. Read files in an activity\. .* \(WFS_RESTRICTED\)$/);
});

test.run();
