import assert from "node:assert/strict";
import { test } from "uvu";
import { SandboxMatcher } from "../sandbox/sandbox_matcher.ts";

const RUN = { isRuntime: true };
const IMPORT = { isRuntime: false };

/** The path workflow code gets denied at, as Python's proxies name it, or undefined. */
function deniedAt(matcher: SandboxMatcher, path: string[], ctx = RUN): string | undefined {
  return matcher.restrictionOf(ctx, path)?.location.join(".");
}

// Python's os rule (python-sandbox.md §3.2, before 3.14).
const os = new SandboxMatcher({
  children: { path: SandboxMatcher.all },
  access: ["name"],
  use: ["*"],
  exclude: ["stat"],
  onlyRuntime: true,
});
const pythonDefaults = new SandboxMatcher({
  children: {
    os,
    datetime: new SandboxMatcher({
      children: {
        date: new SandboxMatcher({ use: ["today"] }),
        datetime: new SandboxMatcher({ use: ["now", "today", "utcnow"] }),
      },
    }),
  },
});

test("python §5.2 item 4: nested children and access name the denied path exactly", () => {
  const matcher = SandboxMatcher.nestedChild(
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
  for (
    const allowed of [
      ["RestrictableObject", "bar"],
      ["RestrictableObject", "foo", "foo"],
      ["RestrictableObject", "baz"],
      ["RestrictableObject", "qux", "bar"],
      ["RestrictableObject", "qux", "foo", "bar"],
      ["RestrictableObject", "some_dict", "key1", "subkey1"],
      ["RestrictableObject", "some_dict", "key.2", "subkey1"],
    ]
  ) assert.equal(deniedAt(matcher, allowed), undefined, allowed.join("."));
  assert.equal(deniedAt(matcher, ["RestrictableObject", "foo", "bar"]), "RestrictableObject.foo.bar");
  assert.equal(
    deniedAt(matcher, ["RestrictableObject", "qux", "foo", "foo", "bar"]),
    "RestrictableObject.qux.foo.foo",
  );
  assert.equal(
    deniedAt(matcher, ["RestrictableObject", "some_dict", "key1", "subkey2"]),
    "RestrictableObject.some_dict.key1.subkey2",
  );
  // Dotted keys are joined verbatim, as in Python.
  assert.equal(
    deniedAt(matcher, ["RestrictableObject", "some_dict", "key.2", "subkey2"]),
    "RestrictableObject.some_dict.key.2.subkey2",
  );
});

test("python §5.3: referencing a used name is fine, calling it is denied as <name>.__call__", () => {
  assert.equal(deniedAt(pythonDefaults, ["datetime", "datetime", "now"]), undefined);
  assert.equal(deniedAt(pythonDefaults, ["datetime", "datetime", "now", "__call__"]), "datetime.datetime.now");
  assert.equal(deniedAt(pythonDefaults, ["datetime", "date", "today", "__call__"]), "datetime.date.today");
  // Not only_runtime: also at import time.
  assert.equal(deniedAt(pythonDefaults, ["datetime", "date", "today", "__call__"], IMPORT), "datetime.date.today");
  assert.equal(deniedAt(pythonDefaults, ["datetime", "date", "__call__"]), undefined); // date(2001, 1, 1)
});

test("python §5.3: the os rule is runtime-only, excludes stat, denies reading name and path", () => {
  assert.equal(deniedAt(pythonDefaults, ["os", "name"], IMPORT), undefined); // `_ = os.name` at import
  assert.equal(deniedAt(pythonDefaults, ["os", "name"]), "os.name");
  assert.equal(deniedAt(pythonDefaults, ["os", "getcwd"]), undefined); // `_ = os.getcwd`
  assert.equal(deniedAt(pythonDefaults, ["os", "getcwd", "__call__"]), "os.*"); // through use: ["*"]
  assert.equal(deniedAt(pythonDefaults, ["os", "getcwd", "__call__"], IMPORT), undefined);
  assert.equal(deniedAt(pythonDefaults, ["os", "stat", "__call__"]), undefined);
  assert.equal(deniedAt(pythonDefaults, ["os", "path"]), "os.path");
  assert.equal(deniedAt(pythonDefaults, ["os", "path", "abspath", "__call__"]), "os.path");
});

test("accessMatcher ports access_matcher: access, includeUse, exclude, only-runtime", () => {
  assert.equal(os.accessMatcher(RUN, ["name"]), os);
  assert.equal(os.accessMatcher(IMPORT, ["name"]), undefined);
  assert.equal(os.accessMatcher(RUN, ["getcwd"]), undefined);
  assert.equal(os.accessMatcher(RUN, ["getcwd"], { includeUse: true }), os);
  assert.equal(os.accessMatcher(RUN, ["stat"], { includeUse: true }), undefined);
  assert.equal(os.accessMatcher(RUN, ["path"]), SandboxMatcher.all); // the child matches itself
  assert.equal(os.accessMatcher(IMPORT, ["path"]), undefined); // below an only-runtime parent
  assert.equal(SandboxMatcher.all.accessMatcher(IMPORT, []), SandboxMatcher.all);
  assert.equal(SandboxMatcher.none.accessMatcher(RUN, []), undefined);
  const wildcard = new SandboxMatcher({ children: { "*": SandboxMatcher.all } });
  assert.equal(wildcard.matchAccess(RUN, ["anything"]), true);
  assert.equal(pythonDefaults.matchAccess(RUN, ["datetime", "datetime", "now"]), false);
  assert.equal(pythonDefaults.matchAccess(RUN, ["datetime", "datetime", "now"], { includeUse: true }), true);
});

test("childMatcher ports child_matcher: all, allRuntime below an only-runtime ancestor, exclude", () => {
  assert.equal(pythonDefaults.childMatcher("datetime", "datetime", "now"), SandboxMatcher.all);
  assert.equal(pythonDefaults.childMatcher("os", "getcwd"), SandboxMatcher.allRuntime);
  assert.equal(pythonDefaults.childMatcher("os", "stat"), undefined);
  assert.equal(pythonDefaults.childMatcher("json"), undefined);
  const nested = SandboxMatcher.nestedChild(
    ["a"],
    new SandboxMatcher({ onlyRuntime: true, children: { b: new SandboxMatcher({ use: ["c"] }) } }),
  );
  assert.equal(nested.childMatcher("a", "b", "c"), SandboxMatcher.allRuntime);
  assert.equal(SandboxMatcher.allUses.childMatcher("x"), SandboxMatcher.all);
  assert.equal(SandboxMatcher.allUsesRuntime.childMatcher("x"), SandboxMatcher.allRuntime);
});

test("onlyRuntime applies to the whole subtree in restrictionOf", () => {
  const matcher = SandboxMatcher.nestedChild(
    ["a"],
    new SandboxMatcher({ onlyRuntime: true, children: { b: new SandboxMatcher({ access: ["c"] }) } }),
  );
  assert.equal(deniedAt(matcher, ["a", "b", "c"]), "a.b.c");
  assert.equal(deniedAt(matcher, ["a", "b", "c"], IMPORT), undefined);
});

test("restrictionOf: a matching child denies reading the name, and returns the leaf's fields", () => {
  const warnLeaf = new SandboxMatcher({
    matchSelf: true,
    leafWarning: "UserWarning",
    leafMessage: "asyncio.wait() is non-deterministic, use workflow.wait() instead",
  });
  const asyncio = SandboxMatcher.nestedChild(["asyncio", "wait", "__call__"], warnLeaf);
  const restriction = asyncio.restrictionOf(RUN, ["asyncio", "wait", "__call__"]);
  assert.equal(restriction?.matcher, warnLeaf);
  assert.deepEqual(restriction?.location, ["asyncio", "wait", "__call__"]);
  assert.equal(deniedAt(asyncio, ["asyncio", "wait"]), undefined);
  const wildcard = SandboxMatcher.nestedChild(["fs"], new SandboxMatcher({ children: { "*": SandboxMatcher.all } }));
  assert.equal(deniedAt(wildcard, ["fs", "readFileSync"]), "fs.*");
});

test("leafMessage and leafWarning require matchSelf", () => {
  assert.throws(
    () => new SandboxMatcher({ leafMessage: "no" }),
    {
      name: "TypeError",
      code: "WFS_INVALID_OPTION",
      hint: "Set 'matchSelf: true' or remove 'leafMessage'",
      message: "Cannot create a SandboxMatcher with 'leafMessage' as 'matchSelf' is false. Set 'matchSelf: true' or " +
        "remove 'leafMessage' (WFS_INVALID_OPTION)",
    },
  );
  assert.throws(() => new SandboxMatcher({ leafWarning: "UserWarning" }), /'leafWarning' as 'matchSelf' is false/);
  new SandboxMatcher({ matchSelf: true, leafWarning: "UserWarning", leafMessage: "yes" });
});

test("invalid options fail at construction with a message naming the option", () => {
  const cases: [unknown, RegExp][] = [
    [{ access: [1] }, /option 'access\.0' is invalid: expected string, received number/],
    [{ use: "now" }, /option 'use' is invalid: expected array, received string/],
    [{ children: { Date: {} } }, /option 'children\.Date' is invalid: expected a SandboxMatcher/],
    [{ children: new Map([["Date", 1]]) }, /option 'children\.Date' is invalid/],
    [{ matchSelf: "yes" }, /option 'matchSelf' is invalid: expected boolean/],
    [{ leafWarning: "" }, /option 'leafWarning' is invalid: expected a warning category name/],
    [{ exclude: [""] }, /option 'exclude\.0' is invalid: expected a non-empty name/],
    [{ only_runtime: true }, /option 'only_runtime' is unknown/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => new SandboxMatcher(options as never), (error: Error) => {
      assert.equal(error.name, "TypeError");
      assert.match(error.message, message);
      assert.equal((error as Error & { code?: string }).code, "WFS_INVALID_OPTION");
      assert.match(error.message, /\. Pass the value the option expects \(SandboxMatcherOptions\) \(WFS_INVALID_OPTION\)$|\. Use the options of SandboxMatcherOptions: 'access', .* \(WFS_INVALID_OPTION\)$/);
      return true;
    });
  }
});

test("matchers are frozen and their collections refuse changes", () => {
  const matcher = new SandboxMatcher({ access: ["a"], children: new Map([["b", SandboxMatcher.all]]) });
  assert.ok(Object.isFrozen(matcher));
  assert.throws(() => (matcher.access as Set<string>).add("x"), {
    name: "TypeError",
    code: "WFS_INVALID_OPTION",
    message: "Cannot modify a frozen set. Create a new one instead (the matcher and restriction methods return new " +
      "objects) (WFS_INVALID_OPTION)",
  });
  assert.throws(() => (matcher.children as Map<string, SandboxMatcher>).delete("b"), /Cannot modify a frozen map/);
  assert.equal(matcher.children.get("b"), SandboxMatcher.all);
  assert.deepEqual([...new SandboxMatcher({ use: new Set(["x"]) }).use], ["x"]);
});

test("statics match Python's shortcuts", () => {
  assert.equal(SandboxMatcher.all.matchSelf, true);
  assert.equal(SandboxMatcher.allRuntime.onlyRuntime, true);
  assert.equal(SandboxMatcher.none.matchAccess(RUN, ["x"]), false);
  assert.deepEqual([...SandboxMatcher.allUses.use], ["*"]);
  assert.equal(SandboxMatcher.allUsesRuntime.onlyRuntime, true);
});

test("nestedChild wraps the child once per name", () => {
  const child = new SandboxMatcher({ use: ["random"] });
  const matcher = SandboxMatcher.nestedChild(["globalThis", "Math"], child);
  assert.equal(matcher.children.get("globalThis")?.children.get("Math"), child);
  assert.equal(SandboxMatcher.nestedChild([], child), child);
});

test("withChildUnrestricted: python §5.3 customisation re-allows date.today()", () => {
  const relaxed = pythonDefaults.withChildUnrestricted("datetime", "date", "today");
  assert.equal(deniedAt(relaxed, ["datetime", "date", "today", "__call__"]), undefined);
  assert.equal(deniedAt(relaxed, ["datetime", "datetime", "now", "__call__"]), "datetime.datetime.now");
  assert.equal(deniedAt(pythonDefaults, ["datetime", "date", "today", "__call__"]), "datetime.date.today");
  // Removing a name from access and from children.
  assert.equal(deniedAt(pythonDefaults.withChildUnrestricted("os", "name"), ["os", "name"]), undefined);
  // Nothing to remove: the same matcher comes back.
  assert.equal(pythonDefaults.withChildUnrestricted("json"), pythonDefaults);
  assert.throws(() => pythonDefaults.withChildUnrestricted(), {
    name: "TypeError",
    code: "WFS_INVALID_OPTION",
    message: "Cannot unrestrict a child as the path is empty. Pass at least one name (WFS_INVALID_OPTION)",
  });
});

test("withChildUnrestricted re-allows a name matched by a wildcard by excluding it", () => {
  // Python removes "getcwd" from nothing and os.getcwd() stays denied; here it is excluded.
  const relaxed = pythonDefaults.withChildUnrestricted("os", "getcwd");
  assert.equal(deniedAt(relaxed, ["os", "getcwd", "__call__"]), undefined);
  assert.equal(deniedAt(relaxed, ["os", "listdir", "__call__"]), "os.*");
  const fs = SandboxMatcher.nestedChild(
    ["fs"],
    new SandboxMatcher({ children: { "*": new SandboxMatcher({ access: ["*"] }) } }),
  );
  const readAllowed = fs.withChildUnrestricted("fs", "promises", "readFile");
  assert.equal(deniedAt(readAllowed, ["fs", "promises", "readFile", "__call__"]), undefined);
  assert.equal(deniedAt(readAllowed, ["fs", "promises", "writeFile", "__call__"]), "fs.promises.*");
  assert.equal(deniedAt(readAllowed, ["fs", "readFileSync", "__call__"]), "fs.*.*");
  // Below a name matched by `use`, a deeper path cannot be re-allowed: unchanged, as in Python.
  assert.equal(pythonDefaults.withChildUnrestricted("datetime", "datetime", "now", "__call__"), pythonDefaults);
});

test("or: python §5.3 customisation makes datetime.date(2001, 1, 1) fail", () => {
  const stricter = pythonDefaults.or(
    new SandboxMatcher({ children: { datetime: new SandboxMatcher({ use: ["date"] }) } }),
  );
  assert.equal(deniedAt(stricter, ["datetime", "date", "__call__"]), "datetime.date");
  assert.equal(deniedAt(stricter, ["datetime", "datetime", "now", "__call__"]), "datetime.datetime.now");
  assert.equal(deniedAt(stricter, ["os", "getcwd", "__call__"]), "os.*");
});

test("or keeps an exclude when the other side does not match the name (Python drops it)", () => {
  const union = pythonDefaults.or(SandboxMatcher.nestedChild(["os"], new SandboxMatcher({ onlyRuntime: true })));
  // Python's `|` returns an os matcher without exclude, so os.stat() would be denied.
  assert.equal(deniedAt(union, ["os", "stat", "__call__"]), undefined);
  assert.deepEqual([...union.children.get("os")!.exclude], ["stat"]);
  assert.equal(deniedAt(union, ["os", "getcwd", "__call__"]), "os.*");
});

test("or: a name excluded on one side stays matchable by the other side", () => {
  const left = new SandboxMatcher({ use: ["*"], exclude: ["stat"] });
  // The other side uses stat: the result denies calling it.
  const withUse = left.or(new SandboxMatcher({ use: ["stat"] }));
  assert.equal(deniedAt(withUse, ["stat", "__call__"]), "stat");
  assert.equal(deniedAt(withUse, ["getcwd", "__call__"]), "*");
  // The other side denies reading stat.
  const withAccess = left.or(new SandboxMatcher({ access: ["stat"] }));
  assert.equal(deniedAt(withAccess, ["stat"]), "stat");
  // The other side has a child for stat: only that child applies to stat.
  const withChild = new SandboxMatcher({ children: { "*": SandboxMatcher.all }, exclude: ["stat"] }).or(
    new SandboxMatcher({ children: { stat: new SandboxMatcher({ access: ["mode"] }) } }),
  );
  assert.equal(deniedAt(withChild, ["stat", "size"]), undefined);
  assert.equal(deniedAt(withChild, ["stat", "mode"]), "stat.mode");
  assert.equal(deniedAt(withChild, ["other"]), "*");
  // Both sides exclude it: excluded.
  const both = left.or(new SandboxMatcher({ access: ["*"], exclude: ["stat"] }));
  assert.equal(deniedAt(both, ["stat"]), undefined);
  assert.equal(deniedAt(both, ["getcwd"]), "*");
  // Symmetric.
  assert.equal(deniedAt(new SandboxMatcher({ use: ["stat"] }).or(left), ["stat", "__call__"]), "stat");
});

test("or with a matchSelf side keeps exclude, onlyRuntime and leaf fields (Python returns all)", () => {
  const leaf = new SandboxMatcher({ matchSelf: true, onlyRuntime: true, leafWarning: "UserWarning", exclude: ["x"] });
  assert.throws(() => leaf.or(SandboxMatcher.none), /'onlyRuntime' differs/);
  const sameFlags = new SandboxMatcher({ matchSelf: true, onlyRuntime: true, leafWarning: "UserWarning", exclude: ["x", "y"] });
  const merged = leaf.or(sameFlags);
  assert.equal(merged.onlyRuntime, true);
  assert.equal(merged.leafWarning, "UserWarning");
  assert.deepEqual([...merged.exclude], ["x"]);
  assert.equal(deniedAt(merged, ["x"]), undefined);
  assert.equal(deniedAt(merged, ["y"]), "");
  assert.equal(deniedAt(merged, ["y"], IMPORT), undefined);
  // A name excluded by the matchSelf side but matched by the other side is no longer excluded.
  const other = new SandboxMatcher({ onlyRuntime: true, access: ["x"] });
  assert.equal(deniedAt(new SandboxMatcher({ matchSelf: true, onlyRuntime: true, exclude: ["x"] }).or(other), ["x"]), "");
});

test("or merges a named child with the other side's wildcard child", () => {
  const left = new SandboxMatcher({ children: { a: new SandboxMatcher({ access: ["x"] }) } });
  const right = new SandboxMatcher({ children: { "*": new SandboxMatcher({ access: ["y"] }) } });
  const union = left.or(right);
  assert.equal(deniedAt(union, ["a", "x"]), "a.x");
  assert.equal(deniedAt(union, ["a", "y"]), "a.y"); // Python's `|` loses this one
  assert.equal(deniedAt(union, ["b", "y"]), "*.y");
});

test("or refuses to combine different onlyRuntime or leaf fields, naming the path", () => {
  const a = SandboxMatcher.nestedChild(["globalThis", "process"], new SandboxMatcher({ onlyRuntime: true }));
  const b = SandboxMatcher.nestedChild(["globalThis", "process"], new SandboxMatcher({ use: ["x"] }));
  assert.throws(() => a.or(b), {
    name: "TypeError",
    code: "WFS_INVALID_OPTION",
    message: "Cannot combine SandboxMatchers at 'globalThis.process' as 'onlyRuntime' differs: 'true' and 'false'. " +
      "Set it the same on both sides (WFS_INVALID_OPTION)",
  });
  assert.throws(
    () => new SandboxMatcher({ matchSelf: true, leafMessage: "a" }).or(new SandboxMatcher({ matchSelf: true, leafMessage: "b" })),
    /at the root as 'leafMessage' differs: 'a' and 'b'/,
  );
});

test("union combines any number of matchers", () => {
  assert.equal(SandboxMatcher.union(), SandboxMatcher.none);
  const union = SandboxMatcher.union(
    SandboxMatcher.nestedChild(["fs"], SandboxMatcher.allUses),
    SandboxMatcher.nestedChild(["net"], SandboxMatcher.allUses),
    SandboxMatcher.nestedChild(["fs"], new SandboxMatcher({ use: ["x"] })),
  );
  assert.equal(deniedAt(union, ["fs", "readFileSync", "__call__"]), "fs.*");
  assert.equal(deniedAt(union, ["net", "connect", "__call__"]), "net.*");
  assert.equal(deniedAt(union, ["path", "join", "__call__"]), undefined);
});

test.run();
