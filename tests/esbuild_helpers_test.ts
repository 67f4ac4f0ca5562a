import { test } from "uvu";
import * as assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  functorBody,
  helperFactory,
  helperNamesIn,
  splitEsbuildHelpers,
  withExportLiteral,
  withFasterNames,
  withoutExportAnnotation,
  withoutHelperNames,
  withoutSameNamedExpressions,
  withoutSameNames,
  withOriginalNames,
} from "../loader/esbuild_helpers.ts";

const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
const toCjs = (source: string, sourcefile?: string) =>
  esbuild.transformSync(source, { loader: "ts", format: "cjs", platform: "node", target: "es2022", keepNames: true, sourcefile }).code;

/** Evaluates a CommonJS body with helpers from `helperFactory` bound as locals, as a functor does. */
function evaluate(
  code: string,
  modules: Record<string, unknown> = {},
  cyclic = false,
): { exports: Record<string, unknown> } {
  // The same rewrites as loader/functor_compiler.ts.
  const { split, body: rewritten } = functorBody(code);
  const helpers = new Function(`return (${helperFactory(split)})();`)() as unknown[];
  const module = { exports: {} as Record<string, unknown> };
  const bind = split.names.map((name, i) => `${name} = __h[${i}]`).join(", ");
  const body = new Function("__h", "__wfs_cyclic", "module", "exports", "require", `${bind ? `const ${bind};` : ""}\n${rewritten}`);
  body(helpers, cyclic, module, module.exports, (id: string) => modules[id]);
  return module;
}

test("splits every helper esbuild prints off the body, and nothing else", () => {
  const code = toCjs(`import d from "./d"; export * from "./s"; export const a = d; export function f() {} export default class K {}`);
  const split = splitEsbuildHelpers(code);
  assert.ok(split.names.includes("__export") && split.names.includes("__toESM") && split.names.includes("__reExport"));
  assert.equal(split.helpers + split.body, code, "the split loses no text");
  assert.ok(!/^var __\w+ = /m.test(split.body), "no helper is left in the body");
  assert.match(split.body, /^var \w+_exports = \{\};/);
});

test("keeps a CommonJS module's directive first in the body", () => {
  const code = toCjs(`"use strict";\nfunction f() {}\nmodule.exports = f;`);
  const split = splitEsbuildHelpers(code);
  assert.deepEqual(split.names, ["__defProp", "__name"]);
  assert.ok(split.body.startsWith(`"use strict";\n`));
});

test("a body with helpers moved out exports what esbuild's own output exports", () => {
  const source = `export let count = 0; export function bump() { return ++count; } export const named = function inner() {};`;
  const code = toCjs(source);
  const ours = evaluate(code).exports;
  const theirs = { exports: {} as Record<string, unknown> };
  new Function("module", "exports", "require", code)(theirs, theirs.exports, () => undefined);
  assert.deepEqual(Object.keys(ours), Object.keys(theirs.exports));
  assert.equal(ours.__esModule, true);
  assert.equal((ours.bump as () => number)(), 1);
  assert.equal(ours.count, 1, "a live binding stays live");
  assert.equal((ours.named as () => void).name, (theirs.exports.named as () => void).name);
});

test("__toESM gives a marked namespace itself (identity with import()), and copies anything else as esbuild does", () => {
  const code = toCjs(`import * as ns from "./ns"; import d from "./cjs"; export const same = ns; export const def = d;`);
  const namespace = Object.defineProperty({ value: 1 }, "__esModule", { value: true });
  const plain = { value: 2 };
  const { exports } = evaluate(code, { "./ns": namespace, "./cjs": plain });
  assert.equal(exports.same, namespace);
  assert.equal(exports.def, plain, "a module without __esModule is the default export");
});

test("B1: __toESM keeps a marked namespace in Node mode too (esbuild's form in .mjs and .mts files)", () => {
  const code = toCjs(`import * as ns from "./ns"; import d from "./ns"; import p from "./plain"; export const same = ns; export const def = d; export const plain = p;`, "/app/a.mjs");
  assert.match(code, /__toESM\(require\("\.\/ns"\), 1\)/, "esbuild's Node-mode flag");
  const view = Object.defineProperty({ default: "the default export" }, "__esModule", { value: true });
  const plain = { value: 2 };
  const { exports } = evaluate(code, { "./ns": view, "./plain": plain });
  assert.equal(exports.same, view);
  assert.equal(exports.def, "the default export");
  assert.equal(exports.plain, plain, "an unmarked value is the default export, as esbuild makes it");
});

test("B4: only esbuild's own helper names are taken out: a module's `var __hits` and a `__exports` object stay", () => {
  const hits = splitEsbuildHelpers(toCjs(`var __hits = { n: 0 };\nglobalThis.n = ++__hits.n;`));
  assert.deepEqual(hits.names, []);
  assert.match(hits.body, /^var __hits = \{ n: 0 \};/);
  const placeholder = toCjs(`var __ = {}; export default __;`, "/ramda/es/__.js");
  assert.match(placeholder, /^var __exports = \{\};$/m);
  assert.deepEqual(splitEsbuildHelpers(placeholder).names, ["__defProp", "__getOwnPropDesc", "__getOwnPropNames", "__hasOwnProp", "__export", "__copyProps", "__toCommonJS"]);
  for (const run of [1, 2]) assert.deepEqual(evaluate(placeholder).exports.default, {}, `run ${run}`);
  const counter = splitEsbuildHelpers(toCjs(`var __count = 0;\nfunction next() { return ++__count; }\nmodule.exports = next;`));
  assert.deepEqual(counter.names, ["__defProp", "__name"]);
  // A helper's name in the module's own text: the renamed text tells which helpers are esbuild's.
  assert.deepEqual(helperNamesIn("var __create = {}; var __hits; x.__name; a__defProp"), ["__create", "__name"]);
  const renamed = withoutHelperNames("var __create = {}; const $$create = 1; '__create';", ["__create"]);
  assert.equal(renamed, "var $_create = {}; const $$create = 1; '$_create';");
  assert.deepEqual(splitEsbuildHelpers(toCjs(renamed!)).names, [], "esbuild needs no helper here: `var __create` is the module's");
});

test("B3: the export annotation goes, so that an export named like a reserved word parses again", () => {
  const code = toCjs(`const _await = 1; export { _await as await }; export const x = 2;`);
  assert.match(code, /^0 && \(module\.exports = \{\n {2}await,/m);
  const blanked = withoutExportAnnotation(code);
  assert.doesNotMatch(blanked, /module\.exports = \{/);
  assert.equal(blanked.split("\n").length, code.split("\n").length, "every line keeps its place");
  const { body } = functorBody(code);
  esbuild.transformSync(body, { loader: "js", target: "es2022" }); // the functor's second pass
  assert.equal(evaluate(code).exports.await, 1);
});

test("__name renames a renamed function and leaves a correctly named one alone, without reading a class's own name getter", () => {
  const code = toCjs(`const wf = (function wf() {}); export const out = wf; let reads = 0;
    export class K { static get name() { reads++; return "other"; } } export const getterReads = () => reads;`);
  const { exports } = evaluate(code);
  assert.equal((exports.out as () => void).name, "wf");
  assert.equal((exports.getterReads as () => number)(), 0);
});

test("the export object literal keeps every key (quoted and default too), live bindings, the mark and every line's place", () => {
  const code = toCjs(`let n = 0; export { n as "a-b" }; export default function () { return ++n; } export const c = 1;\nconst marker = 0;`);
  const literal = withExportLiteral(splitEsbuildHelpers(code).body);
  assert.ok(literal.rewritten);
  const lineOf = (text: string) => text.split("\n").findIndex((line) => line.startsWith("const marker"));
  assert.equal(lineOf(literal.body), lineOf(splitEsbuildHelpers(code).body));
  for (const cyclic of [false, true]) {
    const { exports } = evaluate(code, {}, cyclic);
    assert.deepEqual(Object.keys(exports).sort(), ["a-b", "c", "default"]);
    assert.equal(exports.__esModule, true);
    assert.ok(!Object.keys(exports).includes("__esModule"));
    (exports.default as () => number)();
    assert.equal(exports["a-b"], 1, "a let export is a live binding");
    assert.equal(exports.c, 1);
  }
});

test("outside a cycle, fixed exports are data properties; in a cycle every export is a getter", () => {
  const code = toCjs(`export let l = 1; export const c = 2; export function f() {} export class K {} export function g() {} g = null as any;`);
  const kinds = (cyclic: boolean) => {
    const { exports } = evaluate(code, {}, cyclic);
    return Object.fromEntries(Object.keys(exports).map((key) => [key, "value" in Object.getOwnPropertyDescriptor(exports, key)! ? "data" : "getter"]));
  };
  assert.deepEqual(kinds(false), { K: "data", c: "data", f: "data", g: "getter", l: "getter" });
  assert.deepEqual(kinds(true), { K: "getter", c: "getter", f: "getter", g: "getter", l: "getter" });
});

test("__name around a function or class expression esbuild did not rename becomes the identity, and a renamed one stays", () => {
  const code = toCjs(`export const wf = (function wf() {}); export const handler = function onEvent() {};
    export const v2 = function v2() {};`);
  const { code: out, replaced } = withoutSameNamedExpressions(splitEsbuildHelpers(code).body);
  assert.ok(replaced);
  assert.match(out, /__name\(\(function wf2\(/, "a function esbuild renamed (it shadowed the const) keeps its __name");
  assert.match(out, /__wfsn\(function onEvent\(/);
  assert.match(out, /__name\(function v22\(/, "a name ending in a digit may be a rename: kept");
  const { exports } = evaluate(code);
  assert.equal((exports.handler as () => void).name, "onEvent");
  assert.equal((exports.wf as () => void).name, "wf");
});

test("same-name statements go, their lines stay", () => {
  const code = `function f() {}\n__name(f, "f");\n  __name(g, "h");\n`;
  assert.equal(withoutSameNames(code), `function f() {}\n\n  __name(g, "h");\n`);
});

test("the host's faster __name names functions as esbuild's does", () => {
  const code = esbuild.transformSync(`export const wf = (function wf() {}); export function plain() {}`, {
    loader: "ts",
    format: "esm",
    target: "es2022",
    keepNames: true,
  }).code;
  const faster = withFasterNames(code);
  assert.notEqual(faster, code);
  const run = (text: string) => new Function(text.replace(/export \{[^}]*\};?/, "return { wf, plain };"))();
  assert.equal(run(faster).wf.name, run(code).wf.name);
  assert.equal(run(faster).plain.name, "plain");
});

test("withOriginalNames gives a renamed function expression its own name back, at the same columns, and only when safe", () => {
  // esbuild renames `async function wf` inside `export const wf = ...` to wf2 and re-names it with __name.
  const code = toCjs('import { defn } from "./defn";\nexport const wf = defn(async function wf(n: number) {\n  return n;\n});\n');
  assert.match(code, /async function wf2\(/, "esbuild renamed it (what this rewrite is for)");
  const given = withOriginalNames(code);
  assert.match(given, /async function wf \(n\)/);
  assert.equal(given.length, code.length, "padded: columns and the source map stay");
  const { exports } = evaluate(given, { "./defn": { defn: <T>(f: T) => f } });
  assert.equal((exports.wf as { name: string }).name, "wf");
  // The renamed name used elsewhere in the module: left alone (the body may refer to it).
  const used = 'const wf = defn(__name(async function wf2(n) {\n  return wf2;\n}, "wf"));';
  assert.equal(withOriginalNames(used), used);
  // __name giving another name: left alone.
  const other = 'const wf = defn(__name(async function wf2(n) {\n  return n;\n}, "other"));';
  assert.equal(withOriginalNames(other), other);
});

test.run();
