/**
 * The functor of a plain CommonJS JavaScript module on Node, without esbuild: the source text as
 * it is, inside the functor's wrapper, compiled by V8 under the module's own file name.
 *
 * Why: such a file needs no transform (no TypeScript, no ES module syntax to convert), and Node's
 * own CommonJS loader runs it verbatim too. The esbuild form cost two transforms with chained
 * inline source maps per file, about 8 ms each for the Temporal SDK's files (about 100 of them, so
 * most of a cold start), then Node's source-map bookkeeping on every load. Compiled here, stack
 * traces name the original file at its own lines and columns with no source map at all: the
 * wrapper takes a line of its own, and `lineOffset: -1` takes it back (a negative offset is what
 * V8's ScriptOrigin allows; Node passes it through).
 *
 * Not used on Deno, which reads `require("...")` calls of the files it loads (the esbuild form
 * renames them), nor when V8 rejects the wrapped text (ES module syntax in a `.js` file, or an
 * error): the esbuild form then converts the module or reports the error at its place in the file.
 * As with Node's own text wrapper (`Module.wrap`, which it used before compileFunction), a file that is not a valid script
 * but closes exactly the wrapper's braces and reopens as many would compile here; it would not
 * natively. Ruling that out costs a second parse of every file (13 ms for the Temporal SDK's 58
 * files, a fifth of a warm start), which no real file needs.
 * @module
 */
import { compileFunction } from "node:vm";
import { parse as lexModule } from "es-module-lexer";
import { codedError } from "../sandbox/coded_error.ts";
import { syntaxErrorPosition } from "./runtime.ts";

/** The parameters of Node's CommonJS wrapper (`Module.wrapper`), for the native syntax check. */
const COMMONJS_PARAMS = ["exports", "require", "module", "__filename", "__dirname"];

/** What {@link compileVerbatimCommonJs} returns. */
export interface VerbatimCommonJs {
  /** `(scope) => (...params) => body`, the shape of every functor. */
  readonly functor: (scope: object) => (...args: unknown[]) => unknown;
  /** Whether the module calls `import()`; its calls are renamed to `dynamicImport`. */
  readonly usesDynamicImport: boolean;
}

/**
 * Compiles `source` as the body of `function (inner) { ... }`, nested in
 * `function (outer) { ... }` inside `with (wfs$scope)`, or returns undefined when the module needs
 * esbuild's form.
 *
 * @example
 * ```ts
 * import { compileVerbatimCommonJs } from "./verbatim_commonjs.ts";
 * const compiled = compileVerbatimCommonJs("/app/count.js", "exports.n = 1;", {
 *   outer: "Math", inner: "exports, require, module, __filename, __dirname", dynamicImport: "__wfsi",
 * })!;
 * const exports: { n?: number } = {};
 * const body = compiled.functor({})(Math) as (...args: unknown[]) => void;
 * body.call(exports, exports, () => undefined, { exports }, "/app/count.js", "/app");
 * exports.n; // 1
 * ```
 */
export function compileVerbatimCommonJs(
  filePath: string,
  source: string,
  params: { readonly outer: string; readonly inner: string; readonly dynamicImport: string },
): VerbatimCommonJs | undefined {
  // ES module syntax needs no lexer: V8 rejects it in a function body, and esbuild converts it.
  // The lexer (most of the cost here) reads only the files that may call `import()`.
  let records: ReturnType<typeof lexModule>[0] = [];
  if (/\bimport\s*\(/.test(source)) {
    try {
      [records] = lexModule(source);
    } catch {
      return undefined;
    }
  }
  let text = source.startsWith("#!") ? `//${source.slice(2)}` : source; // a hashbang is valid only at the very start
  // `import(` becomes a call of the run's registry: same length, so every column stays.
  const starts = records.filter((record) => record.type === "dynamic").map((record) => record.importStart);
  for (const start of starts.reverse()) {
    if (text.slice(start, start + 6) !== "import") continue;
    text = text.slice(0, start) + params.dynamicImport + text.slice(start + 6);
  }
  const wrapped = `with (wfs$scope) { return function (${params.outer}) { return function (${params.inner}) {\n` +
    `${text}\n}; }; }`;
  let functor: VerbatimCommonJs["functor"];
  try {
    functor = compileFunction(wrapped, ["wfs$scope"], { filename: filePath, lineOffset: -1 }) as VerbatimCommonJs["functor"];
  } catch {
    return undefined;
  }
  if (starts.length > 0) {
    const error = importCallSyntaxError(filePath, source.startsWith("#!") ? `//${source.slice(2)}` : source);
    if (error) throw error;
  }
  return { functor, usesDynamicImport: starts.length > 0 };
}

/**
 * The native SyntaxError of a script whose text compiled only once its `import(` calls were
 * renamed: V8 never saw those calls, so `new import('x')`, `import(...args)`, `import()` with a
 * third argument or `import?.()` would run here where natively each is a SyntaxError (test262's
 * expressions/dynamic-import/syntax/invalid, tests/test262_known_differences.ts). The original text
 * is compiled once more in Node's own CommonJS wrapper, only for the files that call `import()`
 * (which the lexer above reads anyway), and only when their functor is first compiled.
 */
function importCallSyntaxError(filePath: string, text: string): SyntaxError | undefined {
  try {
    compileFunction(text, COMMONJS_PARAMS, { filename: filePath });
    return undefined;
  } catch (error) {
    if (!(error instanceof SyntaxError)) return undefined;
    const position = syntaxErrorPosition(error);
    const where = position ? `${filePath}:${position.line}:${position.column}` : filePath;
    return codedError(SyntaxError, {
      code: "WFS_COMPILE",
      message: `Cannot compile ${where}: ${error.message}`,
      hint: position ? "Fix the syntax at that position" : "Fix the syntax in that file",
      cause: error,
    }, { location: where });
  }
}
