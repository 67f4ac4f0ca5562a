/**
 * Matching errors against `workflowFailureErrorTypes`. Classes defined in sandboxed modules are new
 * classes in every run (Python #200), so an entry matches by *name* (the error's `name` or the
 * name of any class on its prototype chain, so listing a base class covers its subclasses, and
 * `"Error"` covers everything), or by a `Symbol.for` brand carried by the error.
 * @module
 */

/**
 * One entry of `workflowFailureErrorTypes`: an error name, a class (matched by its static `brand`
 * symbol when it has one, else by name), or a brand symbol.
 *
 * @example
 * ```ts
 * import type { ErrorTypeEntry } from "./_error_types.ts";
 * const types: ErrorTypeEntry[] = ["NondeterminismError", Symbol.for("my-app.ValidationError")];
 * ```
 */
export type ErrorTypeEntry = string | symbol | { readonly name: string; readonly brand?: symbol };

/**
 * Whether `error` matches one of `entries`.
 *
 * @example
 * ```ts
 * import { matchesErrorTypes } from "./_error_types.ts";
 * matchesErrorTypes(new TypeError("x"), ["Error"]); // true
 * ```
 */
export function matchesErrorTypes(error: unknown, entries: readonly ErrorTypeEntry[]): boolean {
  if (entries.length === 0 || typeof error !== "object" || error === null) return false;
  const names = errorNames(error);
  for (const entry of entries) {
    if (typeof entry === "string") {
      if (names.has(entry)) return true;
    } else if (typeof entry === "symbol") {
      if (hasBrand(error, entry)) return true;
    } else if (entry !== null && (typeof entry === "function" || typeof entry === "object")) {
      const brand = (entry as { brand?: unknown }).brand;
      if (typeof brand === "symbol" ? hasBrand(error, brand) : names.has(entry.name)) return true;
    }
  }
  return false;
}

/**
 * Describes entries for messages.
 *
 * @example
 * ```ts
 * import { describeErrorTypes } from "./_error_types.ts";
 * describeErrorTypes(["TypeError"]); // "'TypeError'"
 * ```
 */
export function describeErrorTypes(entries: readonly ErrorTypeEntry[]): string {
  return entries.map((entry) => typeof entry === "string" ? `'${entry}'` : typeof entry === "symbol" ? entry.toString() : `'${entry.name}'`).join(", ");
}

function errorNames(error: object): Set<string> {
  const names = new Set<string>();
  const own = (error as { name?: unknown }).name;
  if (typeof own === "string") names.add(own);
  for (let proto = Object.getPrototypeOf(error); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const ctor = Object.hasOwn(proto, "constructor") ? (proto as { constructor?: { name?: unknown } }).constructor : undefined;
    if (typeof ctor?.name === "string" && ctor.name !== "") names.add(ctor.name);
    const name = Object.getOwnPropertyDescriptor(proto, "name")?.value;
    if (typeof name === "string") names.add(name);
  }
  return names;
}

function hasBrand(error: object, brand: symbol): boolean {
  try {
    return Boolean((error as Record<symbol, unknown>)[brand]);
  } catch {
    return false;
  }
}
