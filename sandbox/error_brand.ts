/**
 * One brand machinery for every error class of the package. A class carries
 * `Symbol.for("workflow-sandbox.<family>.<Name>")` on its prototype, and `instanceof` and `is()`
 * test that brand instead of the prototype chain, so two copies of the package (a bundled workflow
 * and the worker, `dist/` and the sources, two realms) recognise each other's errors. Temporal's
 * TypeScript SDK does the same with its `SymbolBasedInstanceOfError` decorator, after `instanceof`
 * failed across copies (https://github.com/temporalio/sdk-typescript/issues/1128).
 * @module
 */

// Captured before any workflow code runs: the sandbox may throw these errors into workflow code
// that has replaced `Object.defineProperty` or `Symbol.for` on a per-run global.
const { defineProperty, hasOwn } = Object;
const symbolFor = Symbol.for;
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/** The families of branded classes: errors of the sandbox, deliberate workflow failures. */
export type BrandFamily = "error" | "failure";

/**
 * The brand key of one class: shared by every realm of the agent.
 *
 * @example
 * ```ts
 * import { brandOf } from "./error_brand.ts";
 * brandOf("error", "DeadlockError") === Symbol.for("workflow-sandbox.error.DeadlockError"); // true
 * ```
 */
export function brandOf(family: BrandFamily, name: string): symbol {
  return symbolFor(`workflow-sandbox.${family}.${name}`);
}

/**
 * Whether `value` carries `brand` (from any copy of the package).
 *
 * @example
 * ```ts
 * import { brandOf, hasBrand } from "./error_brand.ts";
 * hasBrand(new Error("x"), brandOf("error", "DeadlockError")); // false
 * ```
 */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * Brands `klass`: a non-enumerable `name` on its prototype (as written, whatever a build renamed
 * the class to) and the brand, a static `brand` (what `workflowFailureErrorTypes` entries match),
 * and an `instanceof` that tests the brand. A user subclass without a brand of its own keeps the
 * ordinary prototype walk.
 *
 * @example
 * ```ts
 * import { brandClass } from "./error_brand.ts";
 * class QuotaError extends Error {}
 * brandClass(QuotaError, "error", "QuotaError");
 * new QuotaError("x").name; // "QuotaError"
 * ```
 */
export function brandClass(klass: Function & { prototype: object }, family: BrandFamily, name: string): void {
  const brand = brandOf(family, name);
  defineProperty(klass.prototype, "name", { value: name, writable: true, configurable: true });
  defineProperty(klass.prototype, brand, { value: true });
  // Own, so a subclass without a brand of its own can be told apart (its `brand` is inherited).
  defineProperty(klass, "brand", { value: brand });
  defineProperty(klass, Symbol.hasInstance, {
    value: function hasInstance(this: Function, value: unknown): boolean {
      return hasOwn(this, "brand")
        ? hasBrand(value, (this as unknown as { brand: symbol }).brand)
        : ordinaryHasInstance.call(this, value);
    },
    configurable: true,
  });
}
