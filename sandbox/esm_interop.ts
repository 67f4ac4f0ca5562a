/**
 * ES-module views of module values for sandboxed ES modules. esbuild's CommonJS form of an ES
 * module reads an import as `__toESM(require(x))`, which keeps an object marked `__esModule` as it
 * is; so every value the sandbox hands to such a `require` is an object marked that way whose keys
 * are the module's export names, with live getters where the source has live bindings.
 * @module
 */
import { defineProperty, freeze, hasOwn, keys } from "./host_intrinsics.ts";

const views = new WeakMap<object, object>();

/**
 * The view of a host ES module namespace (a passed-through module): shared by all runs like the
 * namespace itself, and frozen, as a namespace is.
 *
 * @example
 * ```ts
 * import { namespaceView } from "./esm_interop.ts";
 * const fs = await import("node:fs");
 * (namespaceView(fs) as typeof fs).readFileSync === fs.readFileSync; // true
 * ```
 */
export function namespaceView(namespace: object): object {
  let view = views.get(namespace);
  if (view) return view;
  view = marked();
  for (const key of keys(namespace)) {
    defineProperty(view, key, { enumerable: true, get: () => (namespace as Record<string, unknown>)[key] });
  }
  freeze(view);
  views.set(namespace, view);
  return view;
}

/**
 * Whether the runtime's namespace of a CommonJS module also exports `module.exports` (Node 23+
 * and Deno do: https://github.com/nodejs/node/pull/53848). Answered by {@link detectCommonJsNamespaceShape}.
 */
let namespaceHasModuleExports = false;

/**
 * Imports an empty CommonJS file natively and records the shape of its namespace. Call once
 * before the first run (the runner's `prepare` does).
 */
export async function detectCommonJsNamespaceShape(probeUrl: string): Promise<void> {
  const namespace = (await import(probeUrl)) as object;
  namespaceHasModuleExports = hasOwn(namespace, "module.exports");
}

/**
 * The view of a CommonJS module's `module.exports`, as Node presents it to `import`: `default` is
 * `module.exports`, and each own enumerable key (`__esModule` included) is also a named export,
 * whose value is copied when the view is made (after the module ran), as natively. Names sorted,
 * as in a namespace.
 *
 * @example
 * ```ts
 * import { commonJsView } from "./esm_interop.ts";
 * const exports = { a: 1 };
 * (commonJsView(exports) as { default: unknown }).default === exports; // true
 * ```
 */
export function commonJsView(exports: unknown): object {
  const view = marked();
  const names = new Map<string, unknown>([["default", exports]]);
  if (namespaceHasModuleExports) names.set("module.exports", exports);
  if ((typeof exports === "object" && exports !== null) || typeof exports === "function") {
    for (const key of keys(exports as object)) {
      if (key !== "default") names.set(key, (exports as Record<string, unknown>)[key]);
    }
    if (hasOwn(exports as object, "__esModule")) names.set("__esModule", (exports as Record<string, unknown>).__esModule);
  }
  for (const name of [...names.keys()].sort()) {
    defineProperty(view, name, { enumerable: true, writable: true, value: names.get(name) });
  }
  return view;
}

/**
 * The view of a JSON module: its only export is `default`, the parsed value (a JSON module has
 * no named exports, whatever keys the object has).
 *
 * @example
 * ```ts
 * import { jsonModuleView } from "./esm_interop.ts";
 * Object.keys(jsonModuleView({ a: 1 })); // ["default"]
 * ```
 */
export function jsonModuleView(value: unknown): object {
  const view = marked();
  defineProperty(view, "default", { enumerable: true, value });
  return freeze(view);
}

/** Whether an object already is an ES-module view (esbuild's own export objects are). */
export function isEsModuleView(value: unknown): boolean {
  return typeof value === "object" && value !== null && hasOwn(value, "__esModule") &&
    (value as { __esModule: unknown }).__esModule === true;
}

function marked(): object {
  const view = Object.create(null);
  defineProperty(view, "__esModule", { value: true, configurable: true });
  defineProperty(view, Symbol.toStringTag, { value: "Module" });
  return view;
}
