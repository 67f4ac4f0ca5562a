import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { test } from "uvu";
import {
  BUILTIN_MODULE_IDS,
  CALL,
  canonicalModuleId,
  exportPath,
  GLOBAL_ROOT,
  isArgumentForm,
  isBuiltinModule,
  NEW,
  qualifiedName,
} from "../sandbox/rule_path.ts";

test("canonicalModuleId: node:fs and fs are one module; prefix-only built-ins keep node:", () => {
  assert.equal(canonicalModuleId("node:fs"), "fs");
  assert.equal(canonicalModuleId("fs"), "fs");
  assert.equal(canonicalModuleId("node:fs/promises"), "fs/promises");
  assert.equal(canonicalModuleId("fs/promises"), "fs/promises");
  for (const prefixOnly of ["node:sqlite", "node:test", "node:test/reporters", "node:sea"]) {
    assert.equal(canonicalModuleId(prefixOnly), prefixOnly);
  }
  assert.equal(canonicalModuleId("sqlite"), "sqlite"); // an npm package
  assert.equal(canonicalModuleId("zod"), "zod");
  assert.equal(canonicalModuleId("./workflows/order.ts"), "./workflows/order.ts");
});

test("BUILTIN_MODULE_IDS: canonical ids of every built-in of this runtime", () => {
  for (const id of builtinModules) assert.ok(BUILTIN_MODULE_IDS.includes(canonicalModuleId(id)), id);
  assert.ok(BUILTIN_MODULE_IDS.includes("node:sqlite"));
  assert.equal(BUILTIN_MODULE_IDS.some((id) => id.startsWith("node:") && !isBuiltinModule(id)), false);
  assert.ok(Object.isFrozen(BUILTIN_MODULE_IDS));
  assert.ok(isBuiltinModule("node:path") && isBuiltinModule("path"));
  assert.equal(isBuiltinModule("sqlite"), false);
});

test("exportPath: a built-in's default export is its namespace; other modules keep default", () => {
  assert.deepEqual(exportPath("node:fs", "readFileSync"), ["fs", "readFileSync"]);
  assert.deepEqual(exportPath("fs", "default", "readFileSync"), ["fs", "readFileSync"]);
  assert.deepEqual(exportPath("node:fs", "default"), ["fs"]);
  assert.deepEqual(exportPath("node:sqlite", "default", "DatabaseSync"), ["node:sqlite", "DatabaseSync"]);
  assert.deepEqual(exportPath("./clock.ts", "default", "now"), ["./clock.ts", "default", "now"]);
});

test("qualifiedName joins with dots; calls and constructions have their own members", () => {
  assert.equal(qualifiedName([GLOBAL_ROOT, "Date", "now", CALL]), "globalThis.Date.now.__call__");
  assert.equal(qualifiedName([GLOBAL_ROOT, "WebSocket", NEW]), "globalThis.WebSocket.__new__");
  assert.equal(qualifiedName([GLOBAL_ROOT, "Date", NEW, "(no arguments)"]), "globalThis.Date.__new__.(no arguments)");
  assert.equal(qualifiedName(["a", "key.2", "b"]), "a.key.2.b");
  assert.ok(isArgumentForm("(no arguments)"));
  assert.equal(isArgumentForm("now"), false);
});

test.run();
