// A module esbuild accepts and V8 rejects (a malformed regular expression literal) is a
// SyntaxError at the module's own file:line:col, as natively: the position V8 gives the functor,
// taken back through the functor's inline source map (loader/compile_error_location.ts). Unit
// tests of the source-map decoding and of the runtime's position, then the sandbox end to end
// with .ts, .mjs and .js (ES module) workflow files.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import vm from "node:vm";
import { compileErrorLocation, inlineSourceMap, originalPosition } from "../loader/compile_error_location.ts";
import { type CompiledModule, createFunctorCompiler } from "../loader/functor_compiler.ts";
import { createEsbuildLoader } from "../loader/esbuild_loader.ts";
import { createTransformCache, type TransformCache } from "../loader/transform_cache.ts";
import { isDeno, syntaxErrorPosition } from "../loader/runtime.ts";
import { SandboxedWorkflowRunner, WorkflowValidationError } from "../mod.ts";

const folder = mkdtempSync(join(tmpdir(), "wfs-compile-location-"));
test.after(() => rmSync(folder, { recursive: true, force: true }));
const settings = { compilerOptions: {}, source: undefined, key: "{}" };
const BAD_REGEX = "/(?<a>x)(?<a>y)/"; // duplicate group names: esbuild accepts it, V8 does not
const MESSAGE = /^Invalid regular expression: \/\(\?<a>x\)\(\?<a>y\)\/: Duplicate capture group name$/;

// Deno 2.9.6's SyntaxError from loading a functor (`require()` or `import()` of the .cjs file,
// both through Deno's CommonJS loader) has no position and no file name (its stack starts at
// `compileFunction (ext:core/01_core.js)`), so `loadError()` in loader/functor_compiler.ts is given
// the functor's text and compiles it again for the position. `compileErrorLocation()` without the
// text finds it on Node only, from the file its error names.
const errorNamesFunctorFile = !isDeno;

/** The 1-based line and column of the first `needle` in `source`. */
function positionIn(source: string, needle: string): { line: number; column: number } {
  const lines = source.split("\n");
  const line = lines.findIndex((text) => text.includes(needle));
  assert.ok(line >= 0, `${needle} is in the source`);
  return { line: line + 1, column: lines[line]!.indexOf(needle) + 1 };
}

/** Compiles `code` as a script with V8, without running it; the SyntaxError's position there. */
function v8Position(code: string, filename: string) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // Deno reports the position of an error without frames
  try {
    new vm.Script(code, { filename });
  } catch (error) {
    return { message: (error as Error).message, position: syntaxErrorPosition(error) };
  } finally {
    Error.stackTraceLimit = limit;
  }
  assert.fail("the script compiles");
}

function withCompiler<T>(cache: TransformCache, fn: (compile: (path: string, source: string, kind: "esm" | "cjs") => CompiledModule) => T): T {
  const compiler = createFunctorCompiler({ cache, loadEsbuild: createEsbuildLoader(import.meta.url), esbuildVersion: "compile-location" });
  return fn((path, source, kind) => compiler.compile(path, source, kind, settings));
}

const loadFailure = (load: () => unknown): Error & { code?: string; location?: string; hint?: string; cause?: unknown } => {
  try {
    load();
  } catch (error) {
    return error as Error;
  }
  return assert.fail("the functor does not load");
};

// --- the source map ------------------------------------------------------------------------------

test("base64 VLQ segments decode with negative and multi-digit values, relative across lines", () => {
  // Line 1: column 0 from source 0, line 1, column 0. Line 3: column 4 from line 17 (+16), column
  // 2 (+2), then column 10 (+6) from line 17, column 1 (-1).
  const map = { sources: ["/app/w.ts"], mappings: "AAAA;;IAgBE,MAAD" };
  assert.deepEqual(originalPosition(map, { line: 1, column: 1 }), { source: "/app/w.ts", line: 1, column: 1 });
  assert.deepEqual(originalPosition(map, { line: 3, column: 5 }), { source: "/app/w.ts", line: 17, column: 3 });
  assert.deepEqual(originalPosition(map, { line: 3, column: 10 }), { source: "/app/w.ts", line: 17, column: 3 }, "the segment at or before the column");
  assert.deepEqual(originalPosition(map, { line: 3, column: 11 }), { source: "/app/w.ts", line: 17, column: 2 });
  assert.equal(originalPosition(map, { line: 3, column: 4 }), undefined, "before the line's first segment");
  assert.equal(originalPosition(map, { line: 2, column: 1 }), undefined, "a line without segments");
  assert.equal(originalPosition(map, { line: 9, column: 1 }), undefined, "past the last line");
  assert.equal(originalPosition({ sources: ["/a"], mappings: "A!AA" }, { line: 1, column: 1 }), undefined, "not base64");
  assert.equal(originalPosition({ sources: ["/a"], mappings: "g" }, { line: 1, column: 1 }), undefined, "a truncated value");
});

test("an esbuild inline source map takes every identifier back to its place in the TypeScript source", async () => {
  const { esbuild } = createEsbuildLoader(import.meta.url)();
  const source = [
    "// a comment line",
    "type Id = string;",
    "export const alpha: Id = 'a';",
    "export function beta(first: number, second: Id): string {",
    "  return `${first}` + second + alpha;",
    "}",
    "export class Gamma<T> { delta(value: T): T { return value; } }",
  ].join("\n");
  const { code } = esbuild.transformSync(source, { loader: "ts", format: "cjs", sourcemap: "inline", sourcefile: "/app/w.ts" });
  const map = inlineSourceMap(code);
  assert.ok(map, "the inline map is read");
  assert.deepEqual(map.sources, ["/app/w.ts"]);
  // Each pair starts at the same token in the output and in the source.
  const pairs = [
    ['alpha = "a"', "alpha: Id = 'a'"], ["beta(first", "beta(first"], ["first, second", "first: number"],
    ["second) {", "second: Id)"], ["Gamma {", "Gamma<T>"], ["delta(value)", "delta(value: T)"],
    ["return value", "return value"], ["second + alpha", "second + alpha"],
  ];
  for (const [output, original] of pairs) {
    assert.deepEqual(originalPosition(map, positionIn(code, output!)), { source: "/app/w.ts", ...positionIn(source, original!) }, output);
  }
  assert.equal(inlineSourceMap("const a = 1;\n"), undefined);
  assert.equal(inlineSourceMap("a;\n//# sourceMappingURL=data:application/json;base64,e30=\n"), undefined, "a map without mappings");
});

// --- the runtime's position ----------------------------------------------------------------------

test("the runtime reports where V8 placed a SyntaxError of a script compiled without stack frames", () => {
  const code = "let a = 1;\n\tconst r = () =>   " + BAD_REGEX + ";\n";
  const { message, position } = v8Position(code, "/app/script.cjs");
  assert.match(message, MESSAGE);
  // Column 20: a tab counts as one column, as in V8's own position.
  assert.deepEqual(position, { file: "/app/script.cjs", line: 2, column: 20 });
  assert.equal(syntaxErrorPosition(new SyntaxError("made by hand")), undefined);
  assert.equal(syntaxErrorPosition(new Error("not a SyntaxError")), undefined);
});

// --- the compiler --------------------------------------------------------------------------------

const MODULE = [
  "// line 1",
  "export const ok = 1;",
  `export const r = (s: string): boolean =>   ${BAD_REGEX}.test(s);`,
  "",
].join("\n");

test("a functor V8 rejects is a SyntaxError at the module's line and column, its code and fix", () => {
  const dir = join(folder, "cache");
  withCompiler(createTransformCache({ dir }), (compile) => {
    for (const [path, kind] of [["/app/esm.ts", "esm"], ["/app/cjs.cts", "cjs"]] as const) {
      const error = loadFailure(compile(path, MODULE, kind).load);
      const { line, column } = positionIn(MODULE, BAD_REGEX);
      const where = `${path}:${line}:${column}`;
      assert.ok(error instanceof SyntaxError, "a SyntaxError, as natively");
      assert.equal(error.code, "WFS_COMPILE");
      assert.equal(error.location, where);
      assert.ok(error.message.startsWith(`Cannot compile ${where}: Invalid regular expression`), error.message);
      assert.equal(error.hint, "Fix the syntax at that position");
      assert.match((error.cause as Error).message, MESSAGE, "the native error is the cause");
    }
  });
});

test("with the functor's text, every runtime finds the position, from disk or memory", () => {
  const memoryOnly: TransformCache = { dir: undefined, read: () => undefined, write: () => undefined, pathOf: () => undefined };
  const disk = createTransformCache({ dir: join(folder, "cache-with-text") });
  const path = "/app/w.ts";
  const { line, column } = positionIn(MODULE, BAD_REGEX);
  // The same module compiled twice: into the cache (its text read back here, as loadFunctor has
  // it), and from memory (a read-only cache: the functor has no file).
  const onDisk = withCompiler(disk, (compile) => compile(path, MODULE, "esm"));
  const code = readFileSync(disk.pathOf(onDisk.key, "cjs")!, "utf8");
  const diskError = loadFailure(onDisk.load).cause;
  const memoryError = loadFailure(withCompiler(memoryOnly, (compile) => compile(path, MODULE, "esm")).load).cause;
  for (const error of [diskError, memoryError]) {
    assert.equal(compileErrorLocation(path, error, code), `${path}:${line}:${column}`);
  }
  // Without the text: Node's error names the functor's file, read from the cache; a functor
  // compiled from memory has no file (and Deno's error names none).
  assert.equal(compileErrorLocation(path, diskError), errorNamesFunctorFile ? `${path}:${line}:${column}` : undefined);
  assert.equal(compileErrorLocation(path, memoryError), undefined);
});

test("a position that cannot be found keeps the file only: another error, a text that compiles, no map", () => {
  const error = new SyntaxError("Invalid regular expression: /(/: Unterminated group");
  assert.equal(compileErrorLocation("/app/w.ts", new TypeError("not a syntax error"), "x;"), undefined);
  assert.equal(compileErrorLocation("/app/w.ts", error, "const fine = 1;\n"), undefined, "the text compiles");
  assert.equal(compileErrorLocation("/app/w.ts", error, "const r = /(/;\n"), undefined, "no source map");
  assert.equal(compileErrorLocation("/app/w.ts", error), undefined, "no text, no position");
});

// --- end to end ----------------------------------------------------------------------------------

const mod = JSON.stringify(pathToFileURL(fileURLToPath(new URL("../mod.ts", import.meta.url))).href);

/** A workflows module with a V8-only syntax error on line 5; TypeScript types shift its columns. */
function workflowsSource(typescript: boolean): string {
  const type = (text: string) => (typescript ? text : "");
  return [
    `import { workflow } from ${mod};`,
    "",
    `export const greet = workflow.defn(async function greet(name${type(": string")}) { return name; });`,
    `const PREFIX${type(": string")} = "id-";`,
    `export const matches = (s${type(": string")})${type(": boolean")} => s.startsWith(PREFIX) &&   ${BAD_REGEX}.test(s);`,
    "",
  ].join("\n");
}

/** The same module as a script V8 compiles (`import` and `export` blanked, columns unchanged). */
function asScript(source: string): string {
  return source.replace(/^import .*$/m, (line) => " ".repeat(line.length)).replace(/^export /gm, "       ");
}

test("a workflow module V8 rejects fails prepare at its file:line:col, in .ts, .mjs and .js (ES module) forms", async () => {
  const dir = join(folder, "e2e");
  mkdirSync(dir, { recursive: true });
  for (const file of ["workflows.ts", "workflows.mjs", "workflows.js"]) {
    const typescript = file.endsWith(".ts");
    const source = workflowsSource(typescript);
    const path = join(dir, file);
    writeFileSync(path, source);
    // Where V8 places the error natively: the regular expression literal, as V8 reports it
    // compiling the JavaScript forms (the TypeScript form has the same literal, further right).
    const expected = positionIn(source, BAD_REGEX);
    if (!typescript) {
      const native = v8Position(asScript(source), path);
      assert.match(native.message, MESSAGE);
      assert.deepEqual(native.position, { file: path, ...expected }, "V8 places it at the literal");
    }
    // Loaded by the sandbox only (no host import first): the module's functor is what fails.
    const definition = {
      name: "greet", exportName: "greet", moduleUrl: pathToFileURL(path).href, sandboxed: true,
      options: { kind: "function" as const }, hostExport: undefined,
    };
    const error = await new SandboxedWorkflowRunner({ onWarning: () => {} }).prepare(definition).then(() => undefined, (e) => e);
    assert.ok(error instanceof WorkflowValidationError, `${file}: a WorkflowValidationError, got ${String(error)}`);
    const cause = error.cause as SyntaxError & { code?: string; location?: string };
    assert.ok(cause instanceof SyntaxError, `${file}: the cause is a SyntaxError`);
    assert.equal(cause.code, "WFS_COMPILE");
    assert.match(cause.message, new RegExp(`^Cannot compile ${path.replace(/[.\\]/g, "\\$&")}:\\d+:\\d+: Invalid regular expression`));
    const where = `${path}:${expected.line}:${expected.column}`;
    assert.equal(cause.location, where, file);
    assert.equal(error.location, where, `${file}: the validation error names the same place`);
  }
});

test.run();
