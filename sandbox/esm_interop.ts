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
 * The view of a CommonJS module's `module.exports`, as Node presents it to `import`: `default` is
 * `module.exports`, and each own enumerable key is also a named export.
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
  if ((typeof exports === "object" && exports !== null) || typeof exports === "function") {
    for (const key of keys(exports as object)) {
      if (key === "default" || key === "__esModule") continue;
      defineProperty(view, key, { enumerable: true, get: () => (exports as Record<string, unknown>)[key] });
    }
  }
  defineProperty(view, "default", { enumerable: true, value: exports });
  return view;
}

/** Whether an object already is an ES-module view (esbuild's own export objects are). */
export function isEsModuleView(value: unknown): boolean {
  return typeof value === "object" && value !== null && hasOwn(value, "__esModule") &&
    (value as { __esModule: unknown }).__esModule === true;
}

function marked(): object {
  const view = Object.create(null);
  defineProperty(view, "__esModule", { value: true });
  defineProperty(view, Symbol.toStringTag, { value: "Module" });
  return view;
}
