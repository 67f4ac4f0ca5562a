/**
 * esbuild's runtime helpers (`__defProp`, `__export`, `__toCommonJS`, `__name`, ...), taken out of a
 * module body so that a functor defines them once per process instead of once per module per run.
 *
 * esbuild prints the helpers a module needs as `var __name = ...;` statements at the top of its
 * CommonJS output (esbuild internal/runtime/runtime.go). Evaluated inside the module body they cost
 * a sandboxed run about 5 µs per small module (measured, docs/benchmarks.md): eight closures, plus
 * `__toCommonJS` copying every export into a second object and `__name` redefining every
 * function's `name`. The helpers are pure functions of the ECMAScript intrinsics, which every run
 * shares with the host, so defining them once per functor file changes nothing a module can see.
 * @module
 */

/** A module body with its helper prelude taken out. */
export interface SplitHelpers {
  /** The helper statements, as esbuild printed them (empty when there are none). */
  readonly helpers: string;
  /** The helper names, in order. */
  readonly names: readonly string[];
  /** The module body without them (a leading directive prologue such as `"use strict"` stays). */
  readonly body: string;
}

const HELPER_START = /^var (__[A-Za-z0-9_$]+) = /;

/**
 * The names of esbuild's runtime helpers (esbuild internal/runtime/runtime.go): the only names its
 * helper prelude declares. Anything else there is the module's own code (a module whose first
 * statement is `var __hits = ...`, or esbuild's export object of a file named `__.js`, which it
 * calls `__exports`). A helper of a later esbuild missing here stays in the body: slower, not wrong.
 */
export const ESBUILD_HELPER_NAMES: ReadonlySet<string> = new Set([
  "__create", "__freeze", "__defProp", "__defProps", "__getOwnPropDesc", "__getOwnPropDescs",
  "__getOwnPropNames", "__getOwnPropSymbols", "__getProtoOf", "__hasOwnProp", "__propIsEnum",
  "__reflectGet", "__reflectSet", "__knownSymbol", "__typeError", "__pow", "__defNormalProp",
  "__spreadValues", "__spreadProps", "__name", "__require", "__glob", "__glob_dynamic", "__restKey",
  "__objRest", "__esm", "__esmMin", "__commonJS", "__commonJSMin", "__export", "__copyProps",
  "__reExport", "__toESM", "__toCommonJS", "__decorateClass", "__decorateParam", "__decoratorStart",
  "__decoratorStrings", "__expectFn", "__decoratorContext", "__decoratorMetadata", "__runInitializers",
  "__decorateElement", "__publicField", "__accessCheck", "__privateIn", "__privateGet", "__privateAdd",
  "__privateSet", "__privateMethod", "__earlyAccess", "__privateWrapper", "__superGet", "__superSet",
  "__superWrapper", "__template", "__async", "__await", "__asyncGenerator", "__yieldStar", "__forAwait",
  "__toBinaryNode", "__toBinary", "__using", "__callDispose",
]);

/**
 * The helper names a module's own text mentions, in order. Where it declares one at its top level,
 * esbuild renames the module's binding when it needs its own helper (`__defProp2`), and leaves it
 * as it is otherwise: a `var __create = ...` of the module's may then stand where esbuild's
 * helpers do. {@link withoutHelperNames} tells them apart.
 *
 * @example
 * ```ts
 * import { helperNamesIn } from "./esbuild_helpers.ts";
 * helperNamesIn("var __create = { n: 0 }; var __hits = 1;"); // ["__create"]
 * ```
 */
export function helperNamesIn(source: string): string[] {
  const found: string[] = [];
  if (!source.includes("__")) return found;
  for (const [name] of source.matchAll(/(?<![\w$])__[A-Za-z0-9_$]+/g)) {
    if (ESBUILD_HELPER_NAMES.has(name) && !found.includes(name)) found.push(name);
  }
  return found;
}

/**
 * The module's text with every mention of `names` replaced by another identifier of the same
 * length that the text does not contain, or undefined when none is free. esbuild's output for it
 * declares exactly the helpers esbuild itself needs for the module (renaming the module's own
 * identifiers changes none of them): the ones {@link splitEsbuildHelpers} may take out of the
 * output for the real text.
 *
 * @example
 * ```ts
 * import { withoutHelperNames } from "./esbuild_helpers.ts";
 * withoutHelperNames("var __create = 1;", ["__create"]); // "var $$create = 1;"
 * ```
 */
export function withoutHelperNames(source: string, names: readonly string[]): string | undefined {
  let text = source;
  for (const name of names) {
    const rest = name.slice(2);
    let replacement: string | undefined;
    for (const second of "$_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
      if (!text.includes(`$${second}${rest}`)) {
        replacement = `$${second}${rest}`;
        break;
      }
    }
    if (replacement === undefined) return undefined;
    const found = replacement;
    text = text.replace(new RegExp(`(?<![\\w$])${name}(?![\\w$])`, "g"), () => found);
  }
  return text;
}

/**
 * Splits esbuild's helper prelude off its CommonJS output. Only statements declaring one of
 * `helpers` (by default {@link ESBUILD_HELPER_NAMES}) are taken, up to the first that is not.
 *
 * @example
 * ```ts
 * import { splitEsbuildHelpers } from "./esbuild_helpers.ts";
 * const split = splitEsbuildHelpers('var __defProp = Object.defineProperty;\nconst a = 1;\n');
 * split.names; // ["__defProp"]
 * split.body;  // "const a = 1;\n"
 * ```
 */
export function splitEsbuildHelpers(code: string, helpers: ReadonlySet<string> = ESBUILD_HELPER_NAMES): SplitHelpers {
  let i = 0;
  // A CommonJS module's own directives stay first in the body: esbuild prints them above the helpers.
  for (const directive of code.matchAll(/^(["'])use [a-z ]+\1;\n/g)) {
    if (directive.index !== i) break;
    i += directive[0].length;
  }
  const prologue = code.slice(0, i);
  const names: string[] = [];
  const start = i;
  for (;;) {
    const match = HELPER_START.exec(code.slice(i, i + 200));
    if (!match || !helpers.has(match[1])) break;
    const end = statementEnd(code, i + match[0].length);
    if (end < 0) break; // not the shape esbuild prints: leave the rest alone
    names.push(match[1]);
    i = end;
  }
  return { helpers: code.slice(start, i), names, body: prologue + code.slice(i) };
}

/** The index after `;\n` ending a statement that starts at `i`, or -1. */
function statementEnd(code: string, i: number): number {
  let depth = 0;
  while (i < code.length) {
    const c = code[i];
    if (c === "/" && code[i + 1] === "/") {
      const newline = code.indexOf("\n", i);
      i = newline < 0 ? code.length : newline;
      continue;
    }
    if (c === "/" && code[i + 1] === "*") {
      const close = code.indexOf("*/", i + 2);
      if (close < 0) return -1;
      i = close + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      i = stringEnd(code, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === ";" && depth === 0) return code[i + 1] === "\n" ? i + 2 : -1;
    i++;
  }
  return -1;
}

function stringEnd(code: string, i: number): number {
  const quote = code[i];
  for (i++; i < code.length; i++) {
    if (code[i] === "\\") i++;
    else if (code[i] === quote) return i + 1;
    else if (code[i] === "\n" && quote !== "`") return -1;
  }
  return -1;
}

/**
 * esbuild's `__name` without the definition when the function is already so named: redefining
 * `name` with the same value and attributes changes nothing, and defining a property on a function
 * is its slowest operation. Reading the descriptor (not `.name`) never runs a class's own
 * `static get name()`. `describe` and `define` name the captured intrinsics in scope.
 */
const fasterName = (describe: string, define: string): string =>
  `(target, value) => { const own = ${describe}(target, "name"); ` +
  `return own !== void 0 && own.value === value ? target : ${define}(target, "name", { value, configurable: true }); }`;

/**
 * Faster definitions of the helpers that run in every module of every run, with the same results
 * as esbuild's (each is used only when esbuild's own definition was present).
 */
const FASTER: Readonly<Record<string, string>> = {
  __name: fasterName("__wfs_ownDescriptor", "__wfs_define"),
  // esbuild copies the exports object into a second one marked `__esModule`, getter by getter. The
  // first object is never reached otherwise, so marking it is the same, without the copy.
  __toCommonJS: `(mod) => mod.__esModule === true ? mod : __wfs_define(mod, "__esModule", { value: true })`,
  // What a sandboxed ES module's `require` returns is already the namespace a native `import`
  // gives, marked `__esModule`: a sandboxed ES module's exports, or a view whose `default` is a
  // CommonJS module's `module.exports` (sandbox/esm_interop.ts). It is the result, in Node mode
  // too (`__toESM(require(x), 1)`, esbuild's form in `.mjs` and `.mts` files), where esbuild's own
  // would wrap it again with `default` set to the whole namespace; and it keeps identity with
  // `import()`'s, as natively. Anything else is converted as esbuild does.
  __toESM: `(mod, isNodeMode, target) => mod && mod.__esModule ? mod : __wfs_esbuildToESM(mod, isNodeMode, target)`,
};

// esbuild's keepNames statement for a declared function: `__name(name, "name");` on a line of its own.
const SAME_NAME = /^([ \t]*)__name\(([A-Za-z_$][\w$]*), "\2"\);$/gm;

/**
 * Drops esbuild's `__name(f, "f");` statements, which name a declared function what it is already
 * called (natively nothing does; the line stays, blank, for the source map).
 *
 * @example
 * ```ts
 * import { withoutSameNames } from "./esbuild_helpers.ts";
 * withoutSameNames('function f() {}\n__name(f, "f");\n'); // 'function f() {}\n\n'
 * ```
 */
export function withoutSameNames(code: string): string {
  return code.replace(SAME_NAME, "$1");
}

const ESBUILD_NAME = 'var __name = (target, value) => __defProp(target, "name", { value, configurable: true });';

// `__name(function f(`, `__name(async function f(`, `__name(class f ` at the start of a named
// function or class expression. esbuild renames a name that would shadow another by appending
// digits (`function wf2` for `wf`), so a name without trailing digits is the original one, the value
// esbuild passes as the second argument: naming it again is a no-op.
const NAMED_EXPRESSION = /(?<![\w$])__name\(((?:async )?function\*? ?|class )([A-Za-z_$](?:[\w$]*[A-Za-z_$])?)([( ])/g;

/** The identity helper that stands in for such a `__name` (the same length, so columns stay exact). */
export const SAME_NAME_HELPER = "__wfsn";

/**
 * Replaces `__name` around named function and class expressions whose name esbuild did not change
 * with {@link SAME_NAME_HELPER}, which returns its argument: no property read or definition per run.
 *
 * @example
 * ```ts
 * import { withoutSameNamedExpressions } from "./esbuild_helpers.ts";
 * withoutSameNamedExpressions('__name(async function wf() {}, "wf")').code; // '__wfsn(async function wf() {}, "wf")'
 * ```
 */
export function withoutSameNamedExpressions(code: string): { code: string; replaced: boolean } {
  let replaced = false;
  const result = code.replace(NAMED_EXPRESSION, (_, head: string, name: string, after: string) => {
    replaced = true;
    return `${SAME_NAME_HELPER}(${head}${name}${after}`;
  });
  return { code: result, replaced };
}

// `__name(function wf2(`, `__name(async function wf2(`, `__name(class Wf2 `: a function or class
// expression whose name esbuild renamed by appending digits because it shadowed another binding
// (`export const wf = workflow.defn(async function wf() {})`, the documented way to write a
// workflow, always does).
const RENAMED_EXPRESSION = /(?<![\w$])__name\(((?:async )?function\*? ?|class )([A-Za-z_$](?:[\w$]*[A-Za-z_$])?)(\d+)([( ])/g;

/**
 * Gives back their own names to function and class expressions esbuild renamed only because the
 * name shadowed another binding, so that the faster `__name` (see `FASTER`) finds the name right
 * and defines nothing. Redefining a function's `name` turns its properties into a dictionary: for
 * the canonical `export const wf = workflow.defn(async function wf() {})`, 0.26 KiB and a
 * `defineProperty` per workflow export per run (measured on Node 24). Applied to the functor's
 * final text: esbuild's second pass (loader/functor_compiler.ts) would rename the name again, and
 * its `__name` would be gone if it had been made the identity. Giving the name back is
 * what the source says: inside the expression its name is bound to the expression itself, and
 * only there. A name is given back only when the renamed one occurs nowhere else in the module
 * (the body does not use it: nothing to rebind) and the expression's `__name` ends with that
 * name (found by scanning the expression's brackets, strings, templates, comments and regular
 * expressions). The new name is padded with spaces to the old one's length, so columns and the
 * source map stay exact.
 *
 * @example
 * ```ts
 * import { withOriginalNames } from "./esbuild_helpers.ts";
 * withOriginalNames('const wf = defn(__name(async function wf2(n) {\n  return n;\n}, "wf"));');
 * // 'const wf = defn(__name(async function wf (n) {\n  return n;\n}, "wf"));'
 * ```
 */
export function withOriginalNames(code: string): string {
  let result: string[] | undefined;
  let copied = 0;
  for (const match of code.matchAll(RENAMED_EXPRESSION)) {
    const [, head, base, digits, after] = match;
    const renamed = base + digits;
    const start = match.index! + "__name(".length;
    const end = expressionEnd(code, start);
    if (end < 0 || !code.startsWith(`, ${JSON.stringify(base)})`, end)) continue;
    if (countWord(code, renamed) !== 1) continue;
    (result ??= []).push(code.slice(copied, start), head, base, " ".repeat(digits.length), after);
    copied = start + head.length + renamed.length + after.length;
  }
  if (result === undefined) return code;
  result.push(code.slice(copied));
  return result.join("");
}

function countWord(code: string, word: string): number {
  let count = 0;
  for (let i = code.indexOf(word); i >= 0; i = code.indexOf(word, i + word.length)) {
    if (!/[\w$]/.test(code[i - 1] ?? "") && !/[\w$]/.test(code[i + word.length] ?? "")) count++;
  }
  return count;
}

/**
 * Where the function or class expression starting at `start` ends (just after its body's closing
 * brace), or -1 when the scan cannot tell. Strings, template literals, comments and regular
 * expression literals are skipped; a `/` is taken for a regular expression after a punctuator
 * other than `)` and `]` or after a keyword, as in esbuild's printed output.
 */
function expressionEnd(code: string, start: number): number {
  const closers: string[] = [];
  let previous = "(";
  let i = start;
  while (i < code.length) {
    const c = code[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "/" && code[i + 1] === "/") {
      const line = code.indexOf("\n", i);
      if (line < 0) return -1;
      i = line;
      continue;
    }
    if (c === "/" && code[i + 1] === "*") {
      const close = code.indexOf("*/", i + 2);
      if (close < 0) return -1;
      i = close + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      i = stringEnd(code, i);
      if (i < 0) return -1;
      previous = "a";
      continue;
    }
    if (c === "`" || (c === "}" && closers.at(-1) === "`")) {
      // A template, or its continuation after a substitution's closing brace.
      if (c === "}") closers.pop();
      for (i++; i < code.length; i++) {
        if (code[i] === "\\") i++;
        else if (code[i] === "`") break;
        else if (code[i] === "$" && code[i + 1] === "{") break;
      }
      if (i >= code.length) return -1;
      if (code[i] === "`") {
        i++;
        previous = "a";
      } else {
        closers.push("`");
        i += 2;
        previous = "(";
      }
      continue;
    }
    if (c === "/" && (/[(,=:[!&|?{};+\-*%<>~^]/.test(previous) || previous === "k")) {
      let inClass = false;
      for (i++; i < code.length; i++) {
        const r = code[i];
        if (r === "\\") i++;
        else if (r === "\n") return -1;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
      }
      for (i++; i < code.length && /[a-z]/.test(code[i]!); i++);
      previous = "a";
      continue;
    }
    if (c === "(" || c === "[" || c === "{") {
      closers.push(c === "(" ? ")" : c === "[" ? "]" : "}");
      previous = c;
      i++;
      continue;
    }
    if (c === ")" || c === "]" || c === "}") {
      if (closers.pop() !== c) return -1;
      i++;
      if (c === "}" && closers.length === 0) return i;
      previous = c;
      continue;
    }
    if (/[\w$]/.test(c)) {
      let j = i + 1;
      while (j < code.length && /[\w$]/.test(code[j]!)) j++;
      previous = REGEX_KEYWORDS.has(code.slice(i, j)) ? "k" : "a";
      i = j;
      continue;
    }
    previous = c;
    i++;
  }
  return -1;
}

// Keywords after which a `/` starts a regular expression (one string: tests/coded_error_test.ts
// reads a quote after the word throw as a thrown string).
const REGEX_KEYWORDS = new Set("return typeof case do else in instanceof new delete void throw yield await of".split(" "));

/**
 * For a module evaluated once (the host's own loader): drops the same-name statements and gives
 * `__name` the faster definition, in place. Unknown helper text is left as it is.
 *
 * @example
 * ```ts
 * import { withFasterNames } from "./esbuild_helpers.ts";
 * withFasterNames("const a = 1;\n"); // unchanged: no helpers
 * ```
 */
export function withFasterNames(code: string): string {
  const at = code.indexOf(`\n${ESBUILD_NAME}\n`);
  if (at < 0) return code;
  return withoutSameNames(code).replace(
    `\n${ESBUILD_NAME}\n`,
    `\nvar __name = ((ownDescriptor) => ${fasterName("ownDescriptor", "__defProp")})(Object.getOwnPropertyDescriptor);\n`,
  );
}

// esbuild's export object of an ES module in CommonJS form:
//   var name_exports = {};
//   __export(name_exports, {
//     key: () => local,
//     "quoted key": () => local2
//   });
const EXPORT_BLOCK = /^var ([\w$]+) = \{\};\n__export\(\1, \{\n((?:  (?:[\w$]+|"[^"\\\n]*"): \(\) => [\w$]+,?\n)*)\}\);$/m;
const EXPORT_ENTRY = /^ {2}([\w$]+|"[^"\\\n]*"): \(\) => ([\w$]+),?$/;

/** The functor parameter telling a module it is part of an import cycle (sandbox/module_graph.ts). */
export const CYCLIC = "__wfs_cyclic";

/** The prototype of export objects built by {@link withExportLiteral}, carrying `__esModule`. */
export const ESM_PROTO = "__wfs_esmProto";

/**
 * Builds an ES module's export object as one object literal (whose prototype carries the
 * `__esModule` mark) instead of `{}` plus a `defineProperty` per export and one for the mark.
 *
 * An export whose binding cannot change after it is initialised is a data property: a function
 * declaration (hoisted, so set in the literal) and a `const` or class (set when the module body
 * ends). Only `let`/`var` bindings, and any binding the body assigns to, stay getters (live
 * bindings); in a module that is part of an import cycle every export is a getter, so that a
 * `const` read before its module ran throws as natively. Measured: every object with accessor
 * properties costs about 1.2 µs and gets a map of its own that survives young-generation GCs
 * (4.7 MB promoted per scavenge at 16 modules), while a literal of data properties costs 0.17 µs
 * and dies young. The price, in Known limits: a write through a namespace object (`ns.x = 1`) does
 * not throw. Line count is kept up to the end of the body, where the assignments go.
 *
 * @example
 * ```ts
 * import { withExportLiteral } from "./esbuild_helpers.ts";
 * withExportLiteral('var a_exports = {};\n__export(a_exports, {\n  x: () => x\n});\n').rewritten; // true
 * ```
 */
export function withExportLiteral(body: string): { body: string; rewritten: boolean } {
  const match = EXPORT_BLOCK.exec(body);
  if (!match) return { body, rewritten: false };
  const exportsName = match[1];
  const entries = match[2].split("\n").filter(Boolean).map((line) => EXPORT_ENTRY.exec(line)!);
  const late: string[] = [];
  const live = (key: string, local: string) => `get ${key}() { return ${local}; },`;
  const properties = entries.map(([, key, local]) => {
    const kind = bindingKind(body, local);
    if (kind === "function") return `  ${key}: ${local},`;
    if (kind === "initialised") {
      late.push(`${exportsName}[${key.startsWith('"') ? key : JSON.stringify(key)}] = ${local};`);
      return `  ${key}: void 0,`;
    }
    return `  ${live(key, local)}`;
  });
  // In an import cycle another module may read an export while this one is still evaluating; there
  // a `const` read too early must throw as natively (its getter does), so a module in a cycle
  // (the cyclic parameter, decided by the graph) takes the all-getters literal, on this one line.
  const first = late.length === 0
    ? `var ${exportsName} = { __proto__: ${ESM_PROTO},`
    : `var ${exportsName} = ${CYCLIC} ? { __proto__: ${ESM_PROTO}, ${entries.map(([, key, local]) => live(key, local)).join(" ")} } : { __proto__: ${ESM_PROTO},`;
  const literal = [first, ...properties, `};`, ``].join("\n");
  let rewritten = body.slice(0, match.index) + literal + body.slice(match.index + match[0].length);
  if (late.length > 0) {
    // Before the inline source map comment, which esbuild reads from the end of its input.
    const map = rewritten.lastIndexOf("\n//# sourceMappingURL=");
    const at = map < 0 ? rewritten.length : map;
    rewritten = `${rewritten.slice(0, at)}\nif (!${CYCLIC}) { ${late.join(" ")} }${rewritten.slice(at)}`;
  }
  return { body: rewritten, rewritten: true };
}

/**
 * How a top-level binding of esbuild's output is declared, as far as an export cares: a function
 * declaration, a binding fixed once initialised (`const`, class), or anything else (live). esbuild
 * prints top-level statements at column 0. A function or class the module assigns to anywhere
 * (`f = ...`, `f += ...`, `f++`) stays live.
 */
function bindingKind(body: string, local: string): "function" | "initialised" | "live" {
  const name = local.replace(/\$/g, "\\$");
  if (new RegExp(`^const ${name} = `, "m").test(body)) return "initialised";
  const isFunction = new RegExp(`^(?:async )?function\\*? ?${name}\\(`, "m").test(body);
  const isClass = !isFunction && new RegExp(`^class ${name} `, "m").test(body);
  if (!isFunction && !isClass) return "live";
  const assigned = new RegExp(
    `(?<![\\w$.])${name}\\s*(?:(?:[-+*/%&|^]|\\*\\*|<<|>>>?|&&|\\|\\||\\?\\?)?=(?![=>])|\\+\\+|--)|(?:\\+\\+|--)\\s*${name}(?![\\w$])`,
  ).test(body);
  if (assigned) return "live";
  return isFunction ? "function" : "initialised";
}

// esbuild's dead annotation of an ES module's export names for Node's CommonJS lexer, which
// lists the names as shorthand properties (`0 && (module.exports = { await, let })`): a name that
// is a reserved word there does not parse again, and nothing reads the annotation in a functor.
const EXPORT_ANNOTATION = /^(?:\/\/ Annotate the CommonJS export names for ESM import in node:\n)?0 && \(module\.exports = \{\n(?:  .*\n)*\}\);$/m;

/**
 * Blanks esbuild's `0 && (module.exports = { ... })` annotation, keeping its lines (so the
 * source map still holds).
 *
 * @example
 * ```ts
 * import { withoutExportAnnotation } from "./esbuild_helpers.ts";
 * withoutExportAnnotation("0 && (module.exports = {\n  await\n});\n"); // "\n\n\n"
 * ```
 */
export function withoutExportAnnotation(body: string): string {
  return body.replace(EXPORT_ANNOTATION, (block) => "\n".repeat(lineCount(block)));
}

/** A module body ready for the functor wrapper, and the helpers it binds. */
export interface FunctorBody {
  /** esbuild's helpers plus this package's own (`names` is the order they are bound in). */
  readonly split: SplitHelpers;
  /** The body, with blank lines where the helpers were so that its source map still holds. */
  readonly body: string;
}

/**
 * Every rewrite of esbuild's CommonJS output for a functor, in order: helpers out (only those of
 * `helpers`, the names esbuild declared itself: see {@link withoutHelperNames}), the export
 * annotation blanked, same-name `__name` calls dropped or made identities, the export object as
 * one literal.
 *
 * @example
 * ```ts
 * import { functorBody } from "./esbuild_helpers.ts";
 * functorBody('var __defProp = Object.defineProperty;\nconst a = 1;\n').body; // "\nconst a = 1;\n"
 * ```
 */
export function functorBody(converted: string, helpers: ReadonlySet<string> = ESBUILD_HELPER_NAMES): FunctorBody {
  const esbuild = splitEsbuildHelpers(converted, helpers);
  const named = withoutSameNamedExpressions(withoutSameNames(withoutExportAnnotation(esbuild.body)));
  const exported = withExportLiteral(named.code);
  const names = [
    ...esbuild.names,
    ...(exported.rewritten ? [ESM_PROTO] : []),
    ...(named.replaced ? [SAME_NAME_HELPER] : []),
  ];
  return { split: { ...esbuild, names }, body: "\n".repeat(lineCount(esbuild.helpers)) + exported.body };
}

function lineCount(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

/**
 * The JavaScript that defines the helpers once, for the file level of a functor: a function
 * returning them in `names` order, so that a functor binds them as its own locals.
 *
 * @example
 * ```ts
 * import { helperFactory, splitEsbuildHelpers } from "./esbuild_helpers.ts";
 * const split = splitEsbuildHelpers('var __defProp = Object.defineProperty;\nconst a = 1;\n');
 * const make = new Function(`return ${helperFactory(split)}`)();
 * make()[0] === Object.defineProperty; // true
 * ```
 */
export function helperFactory(split: SplitHelpers): string {
  let text = split.helpers;
  const overrides: string[] = [];
  for (const name of split.names) {
    const faster = FASTER[name];
    if (!faster) continue;
    if (name === "__toESM") text += `var __wfs_esbuildToESM = __toESM;\n`;
    overrides.push(`${name} = ${faster};`);
  }
  // The intrinsics the faster helpers call, captured when the functor file loads (in `prepare`,
  // before any workflow code runs), as esbuild's own helpers capture theirs.
  const captured = "var __wfs_define = Object.defineProperty, __wfs_ownDescriptor = Object.getOwnPropertyDescriptor;\n";
  const proto = (split.names.includes(ESM_PROTO)
    ? `var ${ESM_PROTO} = Object.create(Object.prototype, { __esModule: { value: true } });\n`
    : "") + (split.names.includes(SAME_NAME_HELPER) ? `var ${SAME_NAME_HELPER} = (target) => target;\n` : "");
  return `function () {\n${captured}${proto}${text}${overrides.join("\n")}\nreturn [${split.names.join(", ")}];\n}`;
}
