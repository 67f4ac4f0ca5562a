// Passthrough matching by resolved identity.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { createPassthroughPolicy, npmPackageName } from "../sandbox/passthrough_policy.ts";
import { createPackageScopes } from "../loader/package_scope.ts";

const files: Record<string, string> = {
  "/app/node_modules/zod/package.json": '{"name":"zod"}',
  "/app/node_modules/zod/v4/package.json": '{"type":"module"}',
  "/app/node_modules/zod-extra/package.json": '{"name":"zod-extra"}',
  "/app/node_modules/other/node_modules/zod/package.json": '{"name":"zod"}',
  "/app/package.json": '{"name":"app"}',
};
const scopes = createPackageScopes((path) => files[path]);

test("a package name matches any file of that package, by its package.json, and not a longer name", () => {
  const policy = createPassthroughPolicy({ modules: ["zod"], all: false, scopes });
  assert.equal(policy.match("file:///app/node_modules/zod/index.js")?.entry, "zod");
  assert.equal(policy.match("file:///app/node_modules/zod/v4/core/x.js")?.entry, "zod", "a subfolder package.json without a name does not hide the package");
  assert.equal(policy.match("file:///app/node_modules/zod-extra/index.js"), undefined);
  assert.equal(policy.match("file:///app/src/w.ts"), undefined);
  assert.deepEqual(policy.match("npm:zod@4.1.0/v4"), { entry: "zod" });
});

test("npm: URLs name their package", () => {
  assert.equal(npmPackageName("npm:zod@^4/sub"), "zod");
  assert.equal(npmPackageName("npm:@scope/pkg@1/x"), "@scope/pkg");
  assert.equal(npmPackageName("npm:/zod@4.0.0/index.js"), "zod");
});

test("built-ins match bare and node: ids and their subpaths", () => {
  const policy = createPassthroughPolicy({ modules: ["fs", "node:path"], all: false, scopes });
  assert.equal(policy.match("node:fs")?.entry, "fs");
  assert.equal(policy.match("node:fs/promises")?.entry, "fs");
  assert.equal(policy.match("node:path/posix")?.entry, "path");
  assert.equal(policy.match("node:os"), undefined);
});

test("files and folders match by path", () => {
  const policy = createPassthroughPolicy({ modules: ["/app/src/shared/", "file:///app/src/one.ts"], all: false, scopes });
  assert.equal(policy.match("file:///app/src/shared/a/b.ts")?.entry, "file:///app/src/shared/");
  assert.equal(policy.match("file:///app/src/one.ts")?.entry, "file:///app/src/one.ts");
  assert.equal(policy.match("file:///app/src/two.ts"), undefined);
});

test("passthroughAllModules matches everything", () => {
  const policy = createPassthroughPolicy({ modules: [], all: true, scopes });
  assert.equal(policy.match("file:///app/src/two.ts")?.entry, "all");
});

test("two installed copies of one package are reported once", () => {
  const reports: unknown[] = [];
  const policy = createPassthroughPolicy({ modules: [], all: false, scopes, onDuplicatePackage: (name, roots) => reports.push([name, roots]) });
  policy.match("file:///app/node_modules/zod/index.js");
  policy.match("file:///app/node_modules/other/node_modules/zod/index.js");
  policy.match("file:///app/node_modules/other/node_modules/zod/other.js");
  assert.deepEqual(reports, [["zod", ["/app/node_modules/zod", "/app/node_modules/other/node_modules/zod"]]]);
});

test.run();
