import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { test } from "uvu";
import {
  hasImportNotificationFlag,
  isImportNotificationPolicy,
  SandboxImportNotificationPolicy as Policy,
} from "../sandbox/import_notification_policy.ts";
import { canonicalModuleId } from "../sandbox/rule_path.ts";
import { SandboxMatcher } from "../sandbox/sandbox_matcher.ts";
import { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";

const RUN = { isRuntime: true };

test("python §5.2 item 1: withPassthroughModules adds modules", () => {
  const restrictions = SandboxRestrictions.default.withPassthroughModules("module1", "module2");
  assert.ok(restrictions.passthroughModules.has("module1"));
  assert.ok(restrictions.passthroughModules.has("module2"));
  assert.ok(restrictions.passthroughModules.has("fs"));
  assert.equal(SandboxRestrictions.default.passthroughModules.has("module1"), false);
});

test("passthrough built-ins are canonical: node:fs and fs are one id", () => {
  const restrictions = SandboxRestrictions.default.with({ passthroughModules: ["node:zlib", "zlib", "node:sqlite"] });
  assert.deepEqual([...restrictions.passthroughModules].sort(), ["node:sqlite", "zlib"]);
});

test("the default passthrough set holds every built-in of this runtime and this package", () => {
  const defaults = SandboxRestrictions.passthroughModulesDefault;
  for (const id of builtinModules) assert.ok(defaults.has(canonicalModuleId(id)), id);
  assert.ok(defaults.has("workflow-sandbox"));
  assert.ok(defaults.has("node:test") && defaults.has("node:sqlite") && defaults.has("node:sea"));
  assert.equal(defaults.has("node:fs"), false);
  assert.equal(defaults.has("sqlite"), false); // the npm package, not node:sqlite
  assert.deepEqual([...SandboxRestrictions.passthroughModulesMinimum], ["workflow-sandbox"]);
});

test("default: default passthrough, no invalid modules, default members, warn on dynamic import", () => {
  const restrictions = SandboxRestrictions.default;
  assert.equal(restrictions.passthroughModules, SandboxRestrictions.passthroughModulesDefault);
  assert.equal(restrictions.invalidModules, SandboxMatcher.none);
  assert.equal(restrictions.invalidModuleMembers, SandboxRestrictions.invalidModuleMembersDefault);
  assert.equal(restrictions.importNotificationPolicy, Policy.WARN_ON_DYNAMIC_IMPORT);
  assert.equal(restrictions.passthroughAllModules, false);
});

test("restrictions are frozen and every with… returns a new instance", () => {
  const restrictions = SandboxRestrictions.default;
  assert.ok(Object.isFrozen(restrictions));
  assert.throws(() => (restrictions.passthroughModules as Set<string>).add("x"), /frozen set/);
  const all = restrictions.withPassthroughAllModules();
  assert.equal(all.passthroughAllModules, true);
  assert.equal(restrictions.passthroughAllModules, false);
  assert.equal(all.invalidModuleMembers, restrictions.invalidModuleMembers);
  const silent = restrictions.withImportNotificationPolicy(Policy.SILENT);
  assert.equal(silent.importNotificationPolicy, Policy.SILENT);
  assert.notEqual(silent, restrictions);
});

test("with() is dataclasses.replace: python's customisation idioms", () => {
  const relaxed = SandboxRestrictions.default.with({
    invalidModuleMembers: SandboxRestrictions.invalidModuleMembersDefault.withChildUnrestricted(
      "globalThis", "Math", "random",
    ),
  });
  assert.equal(relaxed.invalidModuleMembers.matchAccess(RUN, ["globalThis", "Math", "random", "__call__"]), false);
  assert.equal(relaxed.passthroughModules, SandboxRestrictions.default.passthroughModules);
  const stricter = SandboxRestrictions.default.with({
    invalidModuleMembers: SandboxRestrictions.invalidModuleMembersDefault.or(
      SandboxMatcher.nestedChild(["crypto"], new SandboxMatcher({ use: ["createHash"] })),
    ),
  });
  assert.ok(stricter.invalidModuleMembers.restrictionOf(RUN, ["crypto", "createHash", "__call__"]));
  const noChildProcess = SandboxRestrictions.default.with({
    invalidModules: new SandboxMatcher({ access: ["child_process"] }),
  });
  assert.equal(noChildProcess.invalidModules.matchAccess(RUN, [canonicalModuleId("node:child_process")]), true);
});

test("invalid options fail at construction with a message naming the option", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ passthroughModules: "fs" }, /option 'passthroughModules' is invalid: expected array, received string/],
    [{ passthroughModules: [""] }, /option 'passthroughModules\.0' is invalid: expected a non-empty module name/],
    [{ invalidModules: {} }, /option 'invalidModules' is invalid: expected a SandboxMatcher/],
    [{ invalidModuleMembers: null }, /option 'invalidModuleMembers' is invalid: expected a SandboxMatcher/],
    [{ importNotificationPolicy: 8 }, /option 'importNotificationPolicy' is invalid: expected SandboxImportNotificationPolicy flags/],
    [{ importNotificationPolicy: 1.5 }, /option 'importNotificationPolicy' is invalid/],
    [{ passthroughAllModules: "yes" }, /option 'passthroughAllModules' is invalid: expected boolean/],
    [{ passthrough_modules: [] }, /option 'passthrough_modules' is unknown/],
  ];
  for (const [fields, message] of cases) {
    assert.throws(() => SandboxRestrictions.default.with(fields as never), (error: Error) => {
      assert.equal(error.name, "TypeError");
      assert.match(error.message, /^Cannot create SandboxRestrictions as /);
      assert.match(error.message, message);
      assert.equal((error as Error & { code?: string }).code, "WFS_INVALID_OPTION");
      assert.match(error.message, /\. (Pass the value the option expects \(SandboxRestrictionsOptions\)|Use the options of SandboxRestrictionsOptions: 'passthroughModules', .*) \(WFS_INVALID_OPTION\)$/);
      return true;
    });
  }
  assert.throws(() => new SandboxRestrictions({} as never), /option 'passthroughModules' is invalid/);
});

test("import notification policy flags combine with |", () => {
  const policy = Policy.WARN_ON_DYNAMIC_IMPORT | Policy.WARN_ON_UNINTENTIONAL_PASSTHROUGH;
  assert.ok(hasImportNotificationFlag(policy, Policy.WARN_ON_DYNAMIC_IMPORT));
  assert.ok(hasImportNotificationFlag(policy, Policy.WARN_ON_UNINTENTIONAL_PASSTHROUGH));
  assert.equal(hasImportNotificationFlag(policy, Policy.RAISE_ON_UNINTENTIONAL_PASSTHROUGH), false);
  assert.equal(hasImportNotificationFlag(policy, Policy.SILENT), false);
  assert.equal(Policy.SILENT | Policy.WARN_ON_DYNAMIC_IMPORT, Policy.WARN_ON_DYNAMIC_IMPORT);
  assert.ok(Object.isFrozen(Policy));
  for (const valid of [0, 1, 2, 4, 7]) assert.ok(isImportNotificationPolicy(valid));
  for (const invalid of [-1, 8, 1.5, "1", undefined]) assert.equal(isImportNotificationPolicy(invalid), false);
  const restrictions = SandboxRestrictions.default.withImportNotificationPolicy(
    Policy.WARN_ON_DYNAMIC_IMPORT | Policy.RAISE_ON_UNINTENTIONAL_PASSTHROUGH,
  );
  assert.equal(restrictions.importNotificationPolicy, 5);
});

test.run();
