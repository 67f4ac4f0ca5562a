/**
 * The rule path model: how a restriction names the value it applies to.
 *
 * A rule path is `[root, ...members]`:
 * - the root of a module member is the module's canonical id (`canonicalModuleId`): `node:fs` and `fs`
 *   are one module, so `["fs", "readFileSync"]` covers both specifiers;
 * - the root of a global is {@link GLOBAL_ROOT} (`"globalThis"`): `["globalThis", "Date", "now"]`;
 * - calling a value is the member {@link CALL} (`"__call__"`, as in Python's sandbox) and constructing
 *   it with `new` is the member {@link NEW} (`"__new__"`), so `Date.now()` is
 *   `["globalThis", "Date", "now", "__call__"]` and `new WebSocket(url)` is
 *   `["globalThis", "WebSocket", "__new__"]`;
 * - after `__call__` or `__new__`, an *argument form* such as `"(no arguments)"` narrows a rule to some
 *   calls (`new Date()` but not `new Date(0)`); forms are segments written in parentheses, and the
 *   default rule tables define which forms exist and the predicate deciding each one.
 *
 * Qualified names in errors join the path with `.` (`globalThis.Date.now.__call__`), as Python's
 * `qualified_name` does, including keys that contain dots (python-sandbox.md §5.2 item 4).
 *
 * @module
 */

import { builtinModules } from "node:module";

/** A rule path: a canonical module id or {@link GLOBAL_ROOT}, then member names. */
export type RulePath = readonly string[];

/**
 * The root segment of every global: `globalThis.fetch` is `["globalThis", "fetch"]`.
 *
 * @example
 * ```ts
 * import { GLOBAL_ROOT } from "./rule_path.ts";
 * const path = [GLOBAL_ROOT, "Math", "random"]; // globalThis.Math.random
 * ```
 */
export const GLOBAL_ROOT = "globalThis";

/**
 * The member that stands for calling a value, as in Python's sandbox (`datetime.datetime.now.__call__`).
 *
 * @example
 * ```ts
 * import { CALL, GLOBAL_ROOT } from "./rule_path.ts";
 * const dateNow = [GLOBAL_ROOT, "Date", "now", CALL]; // Date.now()
 * ```
 */
export const CALL = "__call__";

/**
 * The member that stands for constructing a value with `new`. Python has no separate name because
 * calling a class constructs it; JavaScript tells `Date()` (a string of the current time) from
 * `new Date(0)` (a fixed instant), so the two get different members.
 *
 * @example
 * ```ts
 * import { GLOBAL_ROOT, NEW } from "./rule_path.ts";
 * const newWebSocket = [GLOBAL_ROOT, "WebSocket", NEW]; // new WebSocket(url)
 * ```
 */
export const NEW = "__new__";

/**
 * Built-ins that exist only with the `node:` prefix (`require("test")` is the npm package `test`, not
 * `node:test`), so their canonical id keeps the prefix. Listed statically so the id is the same on
 * runtimes that lack the module; `builtinModules` adds any newer ones (Node lists them with the prefix
 * since v23.5: https://nodejs.org/api/modules.html#built-in-modules-with-mandatory-node-prefix).
 */
const PREFIX_ONLY_BUILTINS: ReadonlySet<string> = new Set([
  "node:ffi",
  "node:sea",
  "node:sqlite",
  "node:test",
  "node:test/reporters",
  ...builtinModules.filter((id) => id.startsWith("node:")),
]);

/**
 * The canonical id of a module specifier: a built-in loses its `node:` prefix (`node:fs` → `fs`,
 * `node:fs/promises` → `fs/promises`) unless it exists only with the prefix (`node:sqlite`,
 * `node:test`, `node:sea`, which keep it because the bare names are npm packages). Any other
 * specifier is returned unchanged: packages and files are identified by the resolver, not here.
 *
 * @example
 * ```ts
 * import { canonicalModuleId } from "./rule_path.ts";
 * canonicalModuleId("node:fs"); // "fs"
 * canonicalModuleId("fs/promises"); // "fs/promises"
 * canonicalModuleId("node:sqlite"); // "node:sqlite"
 * ```
 */
export function canonicalModuleId(specifier: string): string {
  if (specifier.startsWith("node:") && !PREFIX_ONLY_BUILTINS.has(specifier)) {
    return specifier.slice("node:".length);
  }
  return specifier;
}

/**
 * Canonical ids of every built-in module of the running runtime (Node or Deno), plus the
 * prefix-only built-ins of newer runtimes, sorted.
 *
 * @example
 * ```ts
 * import { BUILTIN_MODULE_IDS } from "./rule_path.ts";
 * BUILTIN_MODULE_IDS.includes("fs"); // true
 * BUILTIN_MODULE_IDS.includes("node:fs"); // false: canonical ids only
 * ```
 */
export const BUILTIN_MODULE_IDS: readonly string[] = Object.freeze(
  [...new Set([...builtinModules, ...PREFIX_ONLY_BUILTINS].map(canonicalModuleId))].sort(),
);

const BUILTIN_SET: ReadonlySet<string> = new Set(BUILTIN_MODULE_IDS);

/**
 * Whether a specifier names a built-in module, with or without `node:`.
 *
 * @example
 * ```ts
 * import { isBuiltinModule } from "./rule_path.ts";
 * isBuiltinModule("node:path"); // true
 * isBuiltinModule("sqlite"); // false: the npm package, not node:sqlite
 * ```
 */
export function isBuiltinModule(specifier: string): boolean {
  return BUILTIN_SET.has(canonicalModuleId(specifier));
}

/**
 * The rule path of a member reached through an import. Every import form of a built-in reaches the
 * same object, so they share one path:
 * - named `import { readFileSync } from "node:fs"` → `exportPath("node:fs", "readFileSync")`;
 * - namespace `import * as fs from "fs"; fs.readFileSync` and dynamic `(await import("fs")).readFileSync`
 *   → the same call;
 * - default `import fs from "fs"; fs.readFileSync` and `require("fs").readFileSync` →
 *   `exportPath("fs", "default", "readFileSync")`: a built-in's `default` export *is* its namespace
 *   (`module.exports`), so the `default` segment is dropped and the result is `["fs", "readFileSync"]`.
 *
 * For any other module, `default` is an ordinary export and stays in the path.
 *
 * @example
 * ```ts
 * import { exportPath } from "./rule_path.ts";
 * exportPath("node:fs", "default", "readFileSync"); // ["fs", "readFileSync"]
 * exportPath("fs", "readFileSync"); // ["fs", "readFileSync"]
 * exportPath("./clock.ts", "default", "now"); // ["./clock.ts", "default", "now"]
 * ```
 */
export function exportPath(specifier: string, exportName: string, ...members: string[]): RulePath {
  const id = canonicalModuleId(specifier);
  if (exportName === "default" && BUILTIN_SET.has(id)) return [id, ...members];
  return [id, exportName, ...members];
}

/**
 * The qualified name of a rule path, as errors and reports show it: the segments joined with `.`.
 *
 * @example
 * ```ts
 * import { qualifiedName } from "./rule_path.ts";
 * qualifiedName(["globalThis", "Date", "now", "__call__"]); // "globalThis.Date.now.__call__"
 * ```
 */
export function qualifiedName(path: RulePath): string {
  return path.join(".");
}

/**
 * Whether a segment is an argument form (written in parentheses, after `__call__` or `__new__`).
 *
 * @example
 * ```ts
 * import { isArgumentForm } from "./rule_path.ts";
 * isArgumentForm("(no arguments)"); // true
 * isArgumentForm("now"); // false
 * ```
 */
export function isArgumentForm(segment: string): boolean {
  return segment.startsWith("(") && segment.endsWith(")");
}
