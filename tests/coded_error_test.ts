// The error factory (sandbox/coded_error.ts): what every error of the package carries, and a scan
// of the package's sources that fails on any error built another way.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { codedError, composeMessage, ERROR_CODES, errorDocs } from "../sandbox/coded_error.ts";
import { brandClass } from "../sandbox/error_brand.ts";
import { RestrictedWorkflowAccessError } from "../sandbox/errors.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

test("a native kind stays native: instanceof SyntaxError, its name, code, hint and docs", () => {
  const error = codedError(SyntaxError, {
    code: "WFS_COMPILE",
    message: "Cannot compile '/app/w.ts:3:7': Unexpected token",
    hint: "Fix the syntax error at that position",
  });
  assert.ok(error instanceof SyntaxError);
  assert.equal(Object.getPrototypeOf(error), SyntaxError.prototype);
  assert.equal(error.name, "SyntaxError");
  assert.equal(error.code, "WFS_COMPILE");
  assert.equal(error.hint, "Fix the syntax error at that position");
  assert.equal(error.message, "Cannot compile '/app/w.ts:3:7': Unexpected token. Fix the syntax error at that position (WFS_COMPILE)");
  assert.ok(error.docs.endsWith("/docs/errors/WFS_COMPILE.md"), error.docs);
  assert.equal(Object.prototype.toString.call(error), "[object Error]");
});

test("the page a docs link names exists in this repository", () => {
  for (const code of ERROR_CODES) {
    const docs = errorDocs(code);
    assert.ok(docs.startsWith("file:"), docs);
    assert.ok(existsSync(fileURLToPath(docs)), `${code}: ${docs} exists`);
  }
});

test("a package kind is built without running its constructor, and keeps its brand and fields", () => {
  const error = codedError(
    RestrictedWorkflowAccessError,
    {
      code: "WFS_RESTRICTED",
      message: "Cannot access 'globalThis.Date.now.__call__' from workflow code at '/app/w.ts:3:9'",
      hint: "Use workflow.now() instead",
    },
    { qualifiedName: "globalThis.Date.now.__call__", rule: "globalThis.Date.now.__call__", location: "/app/w.ts:3:9" },
  );
  assert.ok(error instanceof RestrictedWorkflowAccessError);
  assert.ok(RestrictedWorkflowAccessError.is(error));
  assert.equal(error.name, "RestrictedWorkflowAccessError");
  assert.equal(error.rule, "globalThis.Date.now.__call__");
  assert.equal(error.location, "/app/w.ts:3:9");
  assert.equal(error.code, "WFS_RESTRICTED");
  assert.match(String(error), /^RestrictedWorkflowAccessError: Cannot access/);
});

test("the stack starts at the throw site, and the cause is kept whole", () => {
  const cause = new RangeError("inner");
  function throwSite() {
    return codedError(Error, { code: "WFS_INTERNAL", message: "Outer", hint: "Report it", cause });
  }
  const error = throwSite();
  assert.equal(error.cause, cause);
  const frames = String(error.stack).split("\n").filter((line) => line.trimStart().startsWith("at "));
  assert.match(frames[0]!, /throwSite/);
});

test("a class branded once is recognised by a copy that shares its brand", () => {
  class Copy1 extends Error {}
  class Copy2 extends Error {}
  brandClass(Copy1, "error", "TestOnlyError");
  brandClass(Copy2, "error", "TestOnlyError");
  const error = codedError(Copy1, { code: "WFS_INTERNAL", message: "x", hint: "y" });
  assert.ok(error instanceof Copy2);
  class Sub extends Copy1 {}
  assert.equal(error instanceof Sub, false, "an unbranded subclass keeps the prototype walk");
});

test("composeMessage: one stop between what happened and the fix, the code last", () => {
  assert.equal(composeMessage({ code: "WFS_CLI_USAGE", message: "Unknown option '--x'", hint: "Run 'check --help'." }), "Unknown option '--x'. Run 'check --help' (WFS_CLI_USAGE)");
  assert.equal(composeMessage({ code: "WFS_CLI_USAGE", message: "Unknown option '--x'.", hint: "Run it" }), "Unknown option '--x'. Run it (WFS_CLI_USAGE)");
  assert.equal(composeMessage({ code: "WFS_CLI_USAGE", message: "Unknown option '--x'", hint: "" }), "Unknown option '--x' (WFS_CLI_USAGE)");
});

// --- the scan ---------------------------------------------------------------------------------

// The package's own sources: what `npm pack` ships as code (package.json "files"), minus docs.
const SOURCE_DIRS = ["bin", "cli", "loader", "sandbox", "temporal", "worker"];
const SOURCE_FILES = ["mod.ts", "workflow.ts"];
const FACTORY = "sandbox/coded_error.ts";
const NATIVE = ["Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError"];
// `new X(` of a native error or of any class whose name ends in Error. Temporal's failure classes
// (ApplicationFailure, CancelledFailure, ...) and ContinueAsNew are not errors of the package: they
// are the outcomes workflow code chooses, with Temporal's own shape, so they are built as Temporal
// builds them.
const NEW_ERROR = new RegExp(`\\bnew\\s+((?:${NATIVE.join("|")})|[A-Z][A-Za-z0-9_$]*Error)\\s*\\(`, "g");
// `throw "text"`, `throw \`text\``, `throw { ... }`: a value without a stack, code or hint.
const THROW_LITERAL = /\bthrow\s*(["'`{])/g;

function listSources(): string[] {
  const files = SOURCE_FILES.map((file) => join(root, file));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) walk(join(root, dir));
  return files;
}

// Comments go (JSDoc examples build errors as users would); code stays as written.
const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
function codeOf(path: string): string {
  const loader = /\.[mc]?ts$/.test(path) ? "ts" : "js";
  return esbuild.transformSync(readFileSync(path, "utf8"), { loader, legalComments: "none", minifyWhitespace: true }).code;
}

test("the scan reads the package's sources", () => {
  const files = listSources().map((file) => relative(root, file).split("\\").join("/"));
  for (const expected of [FACTORY, "loader/register.ts", "worker/worker.ts", "cli/main.ts", "temporal/mod.ts", "mod.ts"]) {
    assert.ok(files.includes(expected), `${expected} is scanned`);
  }
  // The patterns find what they look for (a scan that matches nothing would pass on anything).
  assert.equal([..."throw new TypeError('x'); new HistoryStoreError(1)".matchAll(NEW_ERROR)].length, 2);
  assert.equal([..."throw `x`; throw 'y'; throw {a:1}; throw error".matchAll(THROW_LITERAL)].length, 3);
});

test("no error of the package is built outside the factory", () => {
  const offenders: string[] = [];
  for (const file of listSources()) {
    const name = relative(root, file).split("\\").join("/");
    if (name === FACTORY) continue;
    const code = codeOf(file);
    for (const match of code.matchAll(NEW_ERROR)) offenders.push(`${name}: new ${match[1]}(...)`);
    for (const match of code.matchAll(THROW_LITERAL)) offenders.push(`${name}: throw ${match[1]}...`);
  }
  assert.deepEqual(offenders, [], `build these with codedError() from ${FACTORY}:\n${offenders.join("\n")}`);
});

test.run();
