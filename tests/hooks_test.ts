// The hooks with a stub `next`, as tsx tests its own.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { createSyncHooks, PROBE_SPECIFIER } from "../loader/hooks.ts";
import { encodeResolveRequest } from "../loader/resolve_marker.ts";

const EMPTY = "file:///pkg/loader/__workflow_sandbox_empty__.mjs";
const next = (specifier: string, context?: { parentURL?: string }) => ({
  url: new URL(specifier, context?.parentURL ?? "file:///app/").href,
});

test("a marker resolves the real specifier against the real parent", () => {
  const hooks = createSyncHooks({ emptyModuleUrl: EMPTY });
  const result = hooks.resolve(encodeResolveRequest("./dep.ts", "file:///app/src/w.ts"), {}, next);
  assert.equal(result.url, "file:///app/src/dep.ts");
  assert.equal(result.format, "module");
  assert.equal(result.shortCircuit, true);
});

test("on runtimes whose import.meta.resolve skips hooks, the answer is stored and an empty module served", () => {
  const markerResults = new Map<string, { url?: string; error?: unknown }>();
  const hooks = createSyncHooks({ emptyModuleUrl: EMPTY, markerResults });
  const marker = encodeResolveRequest("./dep.js", "file:///app/w.ts");
  assert.equal(hooks.resolve(marker, {}, next).url, EMPTY);
  assert.deepEqual(markerResults.get(marker), { url: "file:///app/dep.js" });
  assert.deepEqual(hooks.load(EMPTY, {}, () => assert.fail("next must not load the empty module")), {
    format: "module",
    source: "",
    shortCircuit: true,
  });
});

test("a resolution error is stored, not thrown, for marker requests", () => {
  const markerResults = new Map<string, { url?: string; error?: unknown }>();
  const hooks = createSyncHooks({ emptyModuleUrl: EMPTY, markerResults });
  const marker = encodeResolveRequest("missing", "file:///app/w.ts");
  hooks.resolve(marker, {}, () => {
    throw Object.assign(new Error("not found"), { code: "ERR_MODULE_NOT_FOUND" });
  });
  assert.equal((markerResults.get(marker)!.error as Error).message, "not found");
});

test("the import map applies before the runtime's resolution", () => {
  const hooks = createSyncHooks({
    emptyModuleUrl: EMPTY,
    importMap: { resolve: (specifier) => (specifier === "@/x" ? "file:///app/src/x.ts" : undefined) },
  });
  assert.equal(hooks.resolve("@/x", { parentURL: "file:///app/main.ts" }, next).url, "file:///app/src/x.ts");
});

test("bundler resolution is a fallback for modules that do not exist, and only for them", () => {
  const hooks = createSyncHooks({
    emptyModuleUrl: EMPTY,
    bundler: { resolve: (specifier) => (specifier === "./counter" ? "file:///app/counter.ts" : undefined) },
  });
  const missing = () => {
    throw Object.assign(new Error("missing"), { code: "ERR_MODULE_NOT_FOUND" });
  };
  assert.equal(hooks.resolve("./counter", { parentURL: "file:///app/w.ts" }, missing).url, "file:///app/counter.ts");
  const other = () => {
    throw Object.assign(new Error("exports"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
  };
  assert.throws(() => hooks.resolve("./counter", { parentURL: "file:///app/w.ts" }, other), /exports/);
});

test("the probe specifier answers node:path", () => {
  const hooks = createSyncHooks({ emptyModuleUrl: EMPTY });
  assert.equal(hooks.resolve(PROBE_SPECIFIER, {}, () => assert.fail("no next")).url, "node:path");
});

test("TypeScript files are loaded as modules through the transform", () => {
  const hooks = createSyncHooks({ emptyModuleUrl: EMPTY, transformTs: (_path, source) => `/*t*/${source}` });
  const resolved = hooks.resolve("./a.ts", { parentURL: "file:///app/main.ts" }, (s, c) => next(s, c));
  assert.equal(resolved.format, "module");
  const loaded = hooks.load(new URL("./fixtures/front_doors/counter.ts", import.meta.url).href, {}, () =>
    assert.fail("TypeScript is not passed on"));
  assert.match(String(loaded.source), /^\/\*t\*\/let count = 0;/);
  const js = hooks.load("file:///app/a.js", {}, () => ({ format: "module", source: "js" }));
  assert.equal(js.source, "js");
});

test.run();
