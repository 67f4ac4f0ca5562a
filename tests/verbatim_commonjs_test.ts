// A plain CommonJS file compiled as it is (loader/verbatim_commonjs.ts): what runs is Node's
// CommonJS semantics, and stack traces point into the original file with no source map.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { compileFunction } from "node:vm";
import { isDeno } from "../loader/runtime.ts";
import { compileVerbatimCommonJs } from "../loader/verbatim_commonjs.ts";

const PARAMS = { outer: "label, __wfsi", inner: "exports, require, module, __filename, __dirname", dynamicImport: "__wfsi" };
type Body = (this: unknown, ...args: unknown[]) => void;

/** Runs a compiled module as the sandbox does: scope, then the run's values, then the wrapper's. */
function run(path: string, source: string, dynamicImport: (specifier: string) => unknown = () => undefined) {
  const compiled = compileVerbatimCommonJs(path, source, PARAMS);
  assert.ok(compiled, `${path} should compile verbatim`);
  const module = { exports: {} as Record<string, unknown> };
  const body = compiled.functor({ label: "from the scope" })("from the run", dynamicImport) as Body;
  body.call(module.exports, module.exports, (id: string) => `required ${id}`, module, path, "/app/lib");
  return { compiled, exports: module.exports };
}

test("the body runs with Node's CommonJS wrapper: this, arguments, require, module, its own 'use strict'", () => {
  const { exports } = run("/app/lib/wrapper.js", [
    '"use strict";',
    "exports.self = this === exports;",
    "exports.count = arguments.length;",
    "exports.required = require('zod');",
    "exports.filename = __filename;",
    "exports.strict = (function () { return this === undefined; })();",
    "exports.label = label;",
  ].join("\n"));
  assert.deepEqual(exports, {
    self: true, count: 5, required: "required zod", filename: "/app/lib/wrapper.js", strict: true, label: "from the run",
  });
  const sloppy = run("/app/lib/sloppy.js", "exports.strict = (function () { return this === undefined; })();").exports;
  assert.equal(sloppy.strict, false);
});

test("a stack trace names the original file at its own line and column", () => {
  const { exports } = run("/app/lib/boom.js", "// line 1\nexports.boom = function () {\n  throw new Error('here');\n};");
  let stack = "";
  try {
    (exports.boom as () => void)();
  } catch (error) {
    stack = (error as Error).stack!;
  }
  assert.match(stack.split("\n")[1], /\/app\/lib\/boom\.js:3:9\)?$/);
});

test("import() calls go to the run's registry, at the same columns; strings and comments keep theirs", () => {
  const calls: string[] = [];
  const source = 'const text = "import(x)"; // import(y)\nexports.text = text;\nexports.lazy = () => import("./lazy.js");';
  const { compiled, exports } = run("/app/lib/lazy.js", source, (specifier) => calls.push(specifier));
  assert.equal(compiled.usesDynamicImport, true);
  (exports.lazy as () => void)();
  assert.deepEqual(calls, ["./lazy.js"]);
  assert.equal(exports.text, "import(x)");
  assert.equal(run("/app/lib/plain.js", "exports.a = 1;").compiled.usesDynamicImport, false);
});

test("a hashbang line compiles, as Node's loader allows it", () => {
  assert.equal(run("/app/bin/cli.js", "#!/usr/bin/env node\nexports.ok = true;").exports.ok, true);
});

test("an import() call that is a SyntaxError natively is one here, at its line and column", () => {
  const cases = [
    ["new import('./a.js');", "new import"],
    ["import(...specifiers);", "spread argument"],
    ["import('./a.js', {}, extra);", "third argument"],
  ];
  for (const [line, what] of cases) {
    const source = `exports.ok = 1;\n${line}\n`;
    let native: unknown;
    try {
      compileFunction(source, ["exports", "require", "module", "__filename", "__dirname"]);
    } catch (error) {
      native = error;
    }
    assert.ok(native instanceof SyntaxError, `${what}: natively a SyntaxError`);
    const error = (() => {
      try {
        compileVerbatimCommonJs("/app/lib/bad.js", source, PARAMS);
      } catch (error) {
        return error as SyntaxError & { code?: string; location?: string };
      }
      return undefined;
    })();
    assert.ok(error instanceof SyntaxError, `${what}: a SyntaxError in the sandbox too`);
    assert.equal(error.code, "WFS_COMPILE");
    assert.ok(error.message.includes(`: ${native.message}. `), `${what}: V8's own message, got ${error.message}`);
    // Node, where this form is used, gives V8's position; Deno (which uses esbuild's form, so only
    // this test compiles verbatim there) gives no position without the text: the file then.
    assert.match(error.location!, isDeno ? /^\/app\/lib\/bad\.js(:2:\d+)?$/ : /^\/app\/lib\/bad\.js:2:\d+$/, `${what}: the line of the call`);
  }
  // A valid call compiles.
  assert.ok(compileVerbatimCommonJs("/app/lib/good.js", "exports.p = import('./a.js', { with: {} });", PARAMS));
});

test("ES module syntax and syntax errors are left to esbuild's form", () => {
  assert.equal(compileVerbatimCommonJs("/app/lib/esm.js", 'import a from "a";\nexport default a;', PARAMS), undefined);
  assert.equal(compileVerbatimCommonJs("/app/lib/meta.js", "exports.url = import.meta.url;", PARAMS), undefined);
  assert.equal(compileVerbatimCommonJs("/app/lib/bad.js", "const a = ;", PARAMS), undefined);
  assert.equal(compileVerbatimCommonJs("/app/lib/open.js", "/* never closed", PARAMS), undefined);
});

test.run();
