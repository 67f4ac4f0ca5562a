// Functor compilation: metadata, the passthrough directive, errors, and a warm start that never
// starts esbuild.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFunctorCompiler, passthroughDirective } from "../loader/functor_compiler.ts";
import { createEsbuildLoader } from "../loader/esbuild_loader.ts";
import { createTransformCache } from "../loader/transform_cache.ts";

const settings = { compilerOptions: {}, source: undefined, key: "{}" };
const SOURCE = [
  'import type { T } from "./types.ts";',
  'import { used } from "./used.ts";',
  'import { onlyAType } from "./elided.ts";',
  'export * from "./star.ts";',
  'export const meta = import.meta.url;',
  'export const lazy = () => import("./lazy.ts");',
  'export const computed = (n: string) => import(n);',
  'export const x: T | typeof onlyAType = used;',
].join("\n");

function withCache<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "wfs-functor-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("metadata lists runtime imports after TypeScript elision, literal dynamic imports and import.meta use", () => {
  withCache((dir) => {
    const compiler = createFunctorCompiler({
      cache: createTransformCache({ dir }),
      loadEsbuild: createEsbuildLoader(import.meta.url),
      esbuildVersion: "test",
    });
    const { meta } = compiler.compile("/app/w.ts", SOURCE, "esm", settings);
    assert.deepEqual(meta.imports, ["./used.ts", "./star.ts"]);
    assert.deepEqual(meta.dynamicImports, ["./lazy.ts"]);
    assert.equal(meta.usesImportMeta, true);
    assert.equal(meta.kind, "esm");
  });
});

test("a warm cache compiles without loading esbuild", () => {
  withCache((dir) => {
    const cold = createFunctorCompiler({ cache: createTransformCache({ dir }), loadEsbuild: createEsbuildLoader(import.meta.url), esbuildVersion: "v" });
    cold.compile("/app/w.ts", SOURCE, "esm", settings);
    const warm = createFunctorCompiler({
      cache: createTransformCache({ dir }),
      loadEsbuild: () => assert.fail("a warm start must not start esbuild"),
      esbuildVersion: "v",
    });
    const compiled = warm.compile("/app/w.ts", SOURCE, "esm", settings);
    assert.equal(typeof compiled.load(), "function");
  });
});

test("the cache key covers path, options and esbuild version", () => {
  withCache((dir) => {
    const compiler = (version: string) =>
      createFunctorCompiler({ cache: createTransformCache({ dir }), loadEsbuild: createEsbuildLoader(import.meta.url), esbuildVersion: version });
    const a = compiler("1").compile("/app/w.ts", SOURCE, "esm", settings).key;
    assert.notEqual(a, compiler("2").compile("/app/w.ts", SOURCE, "esm", settings).key);
    assert.notEqual(a, compiler("1").compile("/app/other.ts", SOURCE, "esm", settings).key);
    assert.notEqual(a, compiler("1").compile("/app/w.ts", SOURCE, "esm", { ...settings, key: '{"jsx":"react"}' }).key);
  });
});

test("the passthrough directive is read from the directive prologue only", () => {
  assert.deepEqual(passthroughDirective('"use passthrough: zod, ./schemas.ts";\nimport "x";'), ["zod", "./schemas.ts"]);
  assert.deepEqual(passthroughDirective("#!/usr/bin/env node\n// c\n/* d */ 'use strict'; 'use passthrough: a'"), ["a"]);
  assert.deepEqual(passthroughDirective('import "x";\n"use passthrough: zod";'), []);
});

test("a syntax error names the file, line and column", () => {
  withCache((dir) => {
    const compiler = createFunctorCompiler({ cache: createTransformCache({ dir }), loadEsbuild: createEsbuildLoader(import.meta.url), esbuildVersion: "v" });
    assert.throws(() => compiler.compile("/app/bad.ts", "const a = ;", "esm", settings), /Cannot compile \/app\/bad\.ts:1:11: /);
  });
});

test.run();
