// Functor compilation: metadata, the passthrough directive, errors, and a warm start that never
// starts esbuild.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFunctorCompiler, passthroughDirective } from "../loader/functor_compiler.ts";
import { createAsyncEsbuildLoader, createEsbuildLoader } from "../loader/esbuild_loader.ts";
import { readdirSync } from "node:fs";
import { createTransformCache } from "../loader/transform_cache.ts";
import { verbatimCommonJs } from "../loader/runtime.ts";

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

async function withCacheAsync(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "wfs-functor-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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

test("a syntax error is a native SyntaxError naming the file, line and column, with its code and fix", () => {
  withCache((dir) => {
    const compiler = createFunctorCompiler({ cache: createTransformCache({ dir }), loadEsbuild: createEsbuildLoader(import.meta.url), esbuildVersion: "v" });
    assert.throws(() => compiler.compile("/app/bad.ts", "const a = ;", "esm", settings), (error: Error & { code?: string; hint?: string; location?: string }) => {
      assert.ok(error instanceof SyntaxError, "a SyntaxError, as natively");
      assert.match(error.message, /^Cannot compile \/app\/bad\.ts:1:11: /);
      assert.equal(error.code, "WFS_COMPILE");
      assert.equal(error.location, "/app/bad.ts:1:11");
      assert.ok(error.hint);
      return true;
    });
  });
});

test("a plain CommonJS .js file compiles without esbuild and without the disk cache, on Node", () => {
  withCache((dir) => {
    const compiler = createFunctorCompiler({
      cache: createTransformCache({ dir }),
      loadEsbuild: () => assert.fail("a plain CommonJS file needs no transform"),
      esbuildVersion: "v",
    });
    const source = '"use passthrough: zod";\nexports.lazy = () => import("./lazy.js");';
    if (!verbatimCommonJs) {
      // Deno loads the `require("...")` targets of the files it runs: esbuild renames them there.
      assert.throws(() => compiler.compile("/app/lib/plain.js", source, "cjs", settings), /needs no transform/);
      return;
    }
    const compiled = compiler.compile("/app/lib/plain.js", source, "cjs", settings);
    assert.deepEqual(compiled.meta, {
      format: compiled.meta.format, kind: "cjs", imports: [], dynamicImports: [], usesImportMeta: false,
      usesDynamicImport: true, passthrough: ["zod"],
    });
    assert.equal(typeof compiled.load(), "function");
    assert.deepEqual(readdirSync(dir), []);
    // A second compile of the same file (another runner) shares the functor.
    assert.equal(compiler.compile("/app/lib/plain.js", source, "cjs", settings).load(), compiled.load());
    // TypeScript and ES module syntax in a .js file still take esbuild's form.
    assert.throws(() => compiler.compile("/app/lib/types.cts", "exports.a = 1 as number;", "cjs", settings), /needs no transform/);
    assert.throws(() => compiler.compile("/app/lib/esm.js", "export const a = 1;", "cjs", settings), /needs no transform/);
  });
});

test("compileAsync gives what compile gives, through esbuild's asynchronous API", async () => {
  const dirs = [mkdtempSync(join(tmpdir(), "wfs-functor-")), mkdtempSync(join(tmpdir(), "wfs-functor-"))];
  try {
    const syncCompiler = createFunctorCompiler({ cache: createTransformCache({ dir: dirs[0] }), loadEsbuild: createEsbuildLoader(import.meta.url), esbuildVersion: "v" });
    const asyncCompiler = createFunctorCompiler({
      cache: createTransformCache({ dir: dirs[1] }),
      loadEsbuild: () => assert.fail("compileAsync must not use the synchronous API"),
      loadEsbuildAsync: createAsyncEsbuildLoader(import.meta.url),
      esbuildVersion: "v",
    });
    const expected = syncCompiler.compile("/app/w.ts", SOURCE, "esm", settings);
    const actual = await asyncCompiler.compileAsync("/app/w.ts", SOURCE, "esm", settings);
    assert.equal(actual.key, expected.key);
    assert.deepEqual(actual.meta, expected.meta);
    const functorText = (dir: string) => createTransformCache({ dir }).read(expected.key, "cjs");
    assert.ok(functorText(dirs[0]));
    assert.equal(functorText(dirs[1]), functorText(dirs[0]));
    await assert.rejects(asyncCompiler.compileAsync("/app/bad.ts", "const a = ;", "esm", settings), /Cannot compile \/app\/bad\.ts:1:11: /);
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});

test("concurrent compileAsync calls of one module share one compilation; a changed source starts another", async () => {
  await withCacheAsync(async (dir) => {
    const real = createAsyncEsbuildLoader(import.meta.url);
    let transforms = 0;
    const compiler = createFunctorCompiler({
      cache: createTransformCache({ dir }),
      loadEsbuild: () => assert.fail("compileAsync must not use the synchronous API"),
      loadEsbuildAsync: async () => {
        const { esbuild, flavour } = await real();
        const counting = {
          ...esbuild,
          transform: (source: string, options: Record<string, unknown>) => {
            transforms++;
            return esbuild.transform(source, options);
          },
        };
        return { esbuild: counting, flavour };
      },
      esbuildVersion: "v",
    });
    const first = compiler.compileAsync("/app/w.ts", SOURCE, "esm", settings);
    const second = compiler.compileAsync("/app/w.ts", SOURCE, "esm", settings);
    assert.equal(second, first);
    await first;
    const perCompile = transforms;
    assert.ok(perCompile > 0);
    await compiler.compileAsync("/app/w.ts", `${SOURCE}\nexport const y = 2;`, "esm", settings);
    assert.equal(transforms, 2 * perCompile);
  });
});

test.run();
