// The Temporal mode of the restrictions: the default rule table minus what Temporal's workflow
// runtime already makes deterministic. Pure data, no Temporal SDK: this file runs on every runtime.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { RESTRICTED_RULES } from "../sandbox/default_rules.ts";
import { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";
import { TEMPORAL_RESTRICTED_RULES, TEMPORAL_RESTRICTIONS } from "../temporal/temporal_rules.ts";

const name = (path: readonly string[]) => path.join(".");
const OWNED = /^globalThis\.(Date|Math\.random|setTimeout|clearTimeout|WeakRef|FinalizationRegistry)(\.|$)/;

test("Temporal's rules are the default rows without those for Date, Math.random, setTimeout, WeakRef", () => {
  const kept = new Set(TEMPORAL_RESTRICTED_RULES.map((rule) => name(rule.path)));
  const removed = RESTRICTED_RULES.filter((rule) => !kept.has(name(rule.path))).map((rule) => name(rule.path));
  assert.ok(removed.length >= 8, `removed ${removed.length} rows`);
  for (const path of removed) assert.match(path, OWNED);
  for (const path of kept) assert.doesNotMatch(path, OWNED);
  assert.ok(removed.includes("globalThis.Date.now.__call__"));
  assert.ok(removed.includes("globalThis.Math.random.__call__"));
  assert.ok(removed.includes("globalThis.setTimeout.__call__"));
  assert.ok(removed.includes("globalThis.WeakRef.__new__"));
});

test("Temporal mode allows what Temporal makes deterministic and still restricts the rest", () => {
  const matcher = TEMPORAL_RESTRICTIONS.invalidModuleMembers;
  const runtime = { isRuntime: true };
  assert.equal(matcher.matchAccess(runtime, ["globalThis", "Math", "random", "__call__"]), false);
  assert.equal(matcher.matchAccess(runtime, ["globalThis", "Date", "now", "__call__"]), false);
  assert.equal(matcher.matchAccess(runtime, ["globalThis", "setTimeout", "__call__"]), false);
  assert.equal(matcher.matchAccess(runtime, ["globalThis", "fetch", "__call__"]), true);
  assert.equal(matcher.matchAccess(runtime, ["globalThis", "setInterval", "__call__"]), true);
  assert.equal(matcher.matchAccess(runtime, ["globalThis", "crypto", "randomUUID", "__call__"]), true);
  const defaults = SandboxRestrictions.default.invalidModuleMembers;
  assert.equal(defaults.matchAccess(runtime, ["globalThis", "Math", "random", "__call__"]), true, "the default table is unchanged");
  assert.deepEqual([...TEMPORAL_RESTRICTIONS.passthroughModules], [...SandboxRestrictions.default.passthroughModules]);
});

test.run();
