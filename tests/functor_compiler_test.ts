// Functor compilation: metadata, the passthrough directive, errors, and a warm start that never
// starts esbuild.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CompiledModule, createFunctorCompiler, type ModuleBody, passthroughDirective } from "../loader/functor_compiler.ts";
import { createAsyncEsbuildLoader, createEsbuildLoader } from "../loader/esbuild_loader.ts";
import { readdirSync } from "node:fs";
import { createTransformCache } from "../loader/transform_cache.ts";
import { isDeno, verbatimCommonJs } from "../loader/runtime.ts";
import { ECMASCRIPT_GLOBALS } from "../sandbox/ecmascript_globals.ts";
import { commonJsView } from "../sandbox/esm_interop.ts";

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

/**
 * Runs a compiled module once, as a run does (sandbox/sandbox_run.ts): the functor applied to the
 * ECMAScript globals and its slots; a CommonJS body then called with its five arguments.
 */
function instantiate(
  compiled: CompiledModule,
  { scope = {}, require = () => assert.fail("no require expected"), meta }: {
    scope?: object;
    require?: (specifier: string) => unknown;
    meta?: object;
  } = {},
): Record<string, unknown> {
  const functor = compiled.load();
  const module = { exports: {} as Record<string, unknown> };
  const globals = ECMASCRIPT_GLOBALS.map((name) => (globalThis as Record<string, unknown>)[name]);
  const args = [...globals, meta, undefined, functor.helpers, false, module.exports, require, module, "/app/m", "/app"];
  const body = functor(scope)(...args) as ModuleBody | undefined;
  if (compiled.meta.kind === "cjs") body!.call(module.exports, module.exports, require, module, "/app/m", "/app");
  return module.exports;
}

function withCompiler<T>(fn: (compile: (path: string, source: string, kind?: "esm" | "cjs") => CompiledModule) => T): T {
  return withCache((dir) => {
    const compiler = createFunctorCompiler({ cache: createTransformCache({ dir }), loadEsbuild: createEsbuildLoader(import.meta.url), esbuildVersion: "v" });
    return fn((path, source, kind = "esm") => compiler.compile(path, source, kind, settings));
  });
}

/** A sandboxed ES module's view of an ES module: its exports, marked `__esModule`. */
const esModule = (exports: Record<string, unknown>) => Object.defineProperty({ ...exports }, "__esModule", { value: true });

test("B1: a default import in .mjs and .mts files gives the default export, or a CommonJS module's module.exports, as natively", () => {
  withCompiler((compile) => {
    const greet = () => "hello";
    const ms = (text: string) => Number.parseInt(text, 10) * 1000;
    const views: Record<string, unknown> = { "./greet.mjs": esModule({ default: greet }), "./ms.cjs": commonJsView(ms) };
    const source = [
      'import greet from "./greet.mjs";',
      'import * as greetNs from "./greet.mjs";',
      'import ms from "./ms.cjs";',
      'import * as msNs from "./ms.cjs";',
      "export const out = { greet, greetNsDefault: greetNs.default, ms, msNsDefault: msNs.default, msNs };",
    ].join("\n");
    for (const path of ["/app/importer.mjs", "/app/importer.mts", "/app/importer.ts"]) {
      const { out } = instantiate(compile(path, source), { require: (specifier) => views[specifier] }) as {
        out: Record<string, unknown>;
      };
      assert.equal(out.greet, greet, `${path}: the default export`);
      assert.equal(out.greetNsDefault, greet, `${path}: ns.default of an ES module`);
      assert.equal(out.ms, ms, `${path}: a CommonJS module's module.exports`);
      assert.equal(out.msNsDefault, ms, `${path}: ns.default of a CommonJS module is module.exports`);
      assert.equal(out.msNs, views["./ms.cjs"], `${path}: the namespace is the view itself, as import() gives`);
    }
  });
});

test("B2: top-level bindings named like ECMAScript globals (or __dirname) compile and shadow them in the module only", () => {
  withCompiler((compile) => {
    const source = [
      "export const escape = (text: string) => `escaped ${text}`;",
      "export const BigInt = globalThis.BigInt;",
      'const Map = "my Map";',
      "class Iterator { static kind = 'my Iterator'; }",
      'let Reflect = "my Reflect";',
      "var Set: unknown;",
      "const typeofSetAtTop = typeof Set;",
      '{ var WeakRef = "block var"; }',
      'function unescape() { return "my unescape"; }',
      'const __dirname = "my dirname";',
      "export const out = () => ({ escape: escape('x'), map: Map, iterator: Iterator.kind, reflect: Reflect, typeofSetAtTop,",
      "  weakRef: WeakRef, unescape: unescape(), dirname: __dirname, json: JSON.stringify([1]), array: Array.isArray([]) });",
    ].join("\n");
    const exports = instantiate(compile("/app/shadows.ts", source)) as { out: () => unknown; BigInt: unknown };
    assert.equal(exports.BigInt, globalThis.BigInt);
    assert.deepEqual(exports.out(), {
      escape: "escaped x", map: "my Map", iterator: "my Iterator", reflect: "my Reflect", typeofSetAtTop: "undefined",
      weakRef: "block var", unescape: "my unescape", dirname: "my dirname", json: "[1]", array: true,
    });
    // In plain JavaScript too, and `var Map;` is undefined, not the global.
    const js = instantiate(compile("/app/shadows.mjs", "var Map;\nexport const typeofMap = typeof Map;\nexport class Iterator {}\n"));
    assert.equal(js.typeofMap, "undefined");
    assert.equal((js.Iterator as () => void).name, "Iterator");
  });
});

test("B2: a module esbuild accepts and V8 rejects is a SyntaxError at the module's file:line:col, not the functor's", () => {
  withCompiler((compile) => {
    for (const [path, kind] of [["/app/bad_regex.ts", "esm"], ["/app/bad_regex.cts", "cjs"]] as const) {
      const compiled = compile(path, "export const r = () => /(/;\n", kind);
      const where = `${path}:1:24`;
      const check = (error: Error & { code?: string; location?: string }) => {
        assert.ok(error instanceof SyntaxError, "a SyntaxError, as natively");
        assert.equal(error.code, "WFS_COMPILE");
        assert.ok(error.message.startsWith(`Cannot compile ${where}: Invalid regular expression`), error.message);
        assert.equal(error.location, where);
        return true;
      };
      assert.throws(() => compiled.load(), check);
    }
  });
});

test("B3: a local exported under a reserved word's name (`export { _await as await }`) compiles", () => {
  withCompiler((compile) => {
    const source = "const _await = (n: number) => n * 2;\nconst _let = 'let';\nexport { _await as await, _let as let };\nexport const after = 1;\n";
    const exports = instantiate(compile("/app/deferred.ts", source)) as { await: (n: number) => number; let: string; after: number };
    assert.equal(exports.await(21), 42);
    assert.equal(exports.let, "let");
    assert.equal(exports.after, 1);
  });
});

test("B4: only esbuild's own helpers leave the module body: look-alike names stay the module's, fresh in every run", () => {
  withCompiler((compile) => {
    // An ES module with no import or export: its first statement stands where esbuild's helpers would.
    const hits = compile("/app/hits.mjs", "var __hits = { n: 0 };\nreport(++__hits.n);\n");
    const seen: number[] = [];
    for (let run = 0; run < 3; run++) instantiate(hits, { scope: { report: (n: number) => seen.push(n) } });
    assert.deepEqual(seen, [1, 1, 1], "fresh state in every run");
    // ramda's es/__.js: esbuild calls the export object of `__.js` `__exports`.
    const placeholder = compile("/app/es/__.js", 'var __ = { "@@functional/placeholder": true };\nexport default __;\n');
    for (let run = 0; run < 2; run++) {
      assert.deepEqual(instantiate(placeholder).default, { "@@functional/placeholder": true }, `run ${run + 1}`);
    }
    // CommonJS through esbuild (every CommonJS file on Deno, TypeScript ones everywhere).
    for (const path of ["/app/count.cts", "/app/count.cjs"]) {
      const count = compile(path, "var __count = 0;\nfunction next() {\n  return ++__count;\n}\nmodule.exports = next;\n", "cjs");
      const next = instantiate(count) as unknown as () => number;
      assert.deepEqual([next(), next()], [1, 2], `${path}: assignable`);
      assert.equal((instantiate(count) as unknown as () => number)(), 1, `${path}: fresh in the next run`);
    }
    // Even a helper's own name, when esbuild needs no helper of that name...
    const create = compile("/app/create.cts", "var __create = { n: 0 };\nmodule.exports = () => ++__create.n;\n", "cjs");
    assert.deepEqual([1, 2].map(() => (instantiate(create) as unknown as () => number)()), [1, 1]);
    // ...while a module that renames out of esbuild's way (`__defProp2`) keeps esbuild's helpers out.
    const renamed = compile("/app/renamed.ts", "var __defProp = 1;\nexport function f() {}\nexport const x = __defProp;\n");
    assert.ok(renamed.load().helpers?.length, "esbuild's helpers are still defined once per process");
    assert.equal(instantiate(renamed).x, 1);
  });
});

test.run();
