/**
 * Errors the sandbox throws into workflow code.
 *
 * Each class carries a brand, `Symbol.for("workflow-sandbox.error.<Name>")`, on its prototype, and
 * `instanceof` and the static `is(value)` test the brand instead of the prototype chain. Two copies of
 * this package (a bundled workflow and the worker, or two realms) therefore recognise each other's
 * errors: Temporal's TypeScript SDK had to do the same after `instanceof` failed across copies
 * (temporalio/sdk-typescript#1128).
 *
 * @module
 */

/** Brand key of one error class; `Symbol.for` is shared by every realm of the agent. */
function brandOf(name: string): symbol {
  return Symbol.for(`workflow-sandbox.error.${name}`);
}

/** Whether `value` carries `brand` on its prototype chain. */
function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[brand] === true;
}

/** Defines the non-enumerable `name` and brand of an error class on its prototype. */
function brandClass(klass: { prototype: object }, name: string): void {
  Object.defineProperty(klass.prototype, "name", { value: name, writable: true, configurable: true });
  Object.defineProperty(klass.prototype, brandOf(name), { value: true });
}

/**
 * `instanceof` by brand for the classes below, and the ordinary prototype walk for a user subclass
 * that has no brand of its own (so `instanceof MySubclass` keeps its usual meaning).
 */
function instanceOfBrand(klass: Function, value: unknown): boolean {
  if (Object.hasOwn(klass, "brand")) {
    return hasBrand(value, (klass as unknown as { brand: symbol }).brand);
  }
  return Function.prototype[Symbol.hasInstance].call(klass, value);
}

/**
 * Options of {@link NondeterminismError}.
 *
 * @example
 * ```ts
 * import type { NondeterminismErrorOptions } from "./errors.ts";
 * const options: NondeterminismErrorOptions = { code: "WFS_NONDETERMINISM" };
 * ```
 */
export interface NondeterminismErrorOptions extends ErrorOptions {
  /**
   * Stable code with a page in `docs/errors/`.
   * @default {"WFS_NONDETERMINISM"}
   */
  readonly code?: string;
}

/**
 * Workflow code did something that would not replay identically. Like Python's
 * `temporalio.workflow.NondeterminismError`, it fails the workflow task (not the workflow) unless the
 * worker lists it among the workflow failure types.
 *
 * @example
 * ```ts
 * import { NondeterminismError } from "./errors.ts";
 * const error = new NondeterminismError("Cannot replay: the command order changed");
 * NondeterminismError.is(error); // true
 * ```
 */
export class NondeterminismError extends Error {
  /** The brand every copy of this package recognises. */
  static readonly brand: symbol = brandOf("NondeterminismError");

  /** Stable code with a page in `docs/errors/`. */
  readonly code: string;

  constructor(message: string, options: NondeterminismErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? "WFS_NONDETERMINISM";
  }

  /**
   * Whether `value` is a `NondeterminismError` (or a subclass) from any copy of this package.
   *
   * @example
   * ```ts
   * import { NondeterminismError } from "./errors.ts";
   * NondeterminismError.is(new Error("x")); // false
   * ```
   */
  static is(value: unknown): value is NondeterminismError {
    return hasBrand(value, NondeterminismError.brand);
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return instanceOfBrand(this, value);
  }
}
brandClass(NondeterminismError, "NondeterminismError");

/**
 * Details of a {@link RestrictedWorkflowAccessError}.
 *
 * @example
 * ```ts
 * import type { RestrictedWorkflowAccessErrorOptions } from "./errors.ts";
 * const options: RestrictedWorkflowAccessErrorOptions = {
 *   rule: "globalThis.Date.now.__call__",
 *   location: "workflows/order.ts:12:18",
 *   reason: "it reads the host clock, so a replay sees a different time",
 *   hint: "Use workflow.now() instead",
 * };
 * ```
 */
export interface RestrictedWorkflowAccessErrorOptions {
  /** The rule that matched, as a qualified rule path (`globalThis.Date.now.__call__`). */
  readonly rule?: string;
  /** Workflow source position of the access, `file:line:col`. */
  readonly location?: string;
  /** Why the rule exists, completing "restricted by rule '…' because …". */
  readonly reason?: string;
  /** The deterministic alternative, a sentence such as "Use workflow.now() instead". */
  readonly hint?: string;
  /** Replaces the whole message, as Python's `override_message` (a matcher's `leafMessage`). */
  readonly overrideMessage?: string;
}

/**
 * Workflow code reached a restricted value (python-sandbox.md §1.7). Code may catch it, as in Python:
 * the restricted access throws on every run, so a fallback is deterministic; the sandbox still reports
 * every hit so a silent fallback shows up in logs.
 *
 * @example
 * ```ts
 * import { RestrictedWorkflowAccessError } from "./errors.ts";
 * const error = new RestrictedWorkflowAccessError("globalThis.Date.now.__call__", {
 *   rule: "globalThis.Date.now.__call__",
 *   hint: "Use workflow.now() instead",
 * });
 * error.code; // "WFS_RESTRICTED"
 * ```
 */
export class RestrictedWorkflowAccessError extends NondeterminismError {
  /** The brand every copy of this package recognises. */
  static override readonly brand: symbol = brandOf("RestrictedWorkflowAccessError");

  /** What was denied, as a qualified rule path (`globalThis.Date.now.__call__`). */
  readonly qualifiedName: string;
  /** The rule that matched (`globalThis.Date.now.__call__`, or `fs.*` for a whole module). */
  readonly rule: string | undefined;
  /** Workflow source position of the access, `file:line:col`, when the sandbox could locate it. */
  readonly location: string | undefined;
  /** The deterministic alternative. */
  readonly hint: string | undefined;

  constructor(qualifiedName: string, options: RestrictedWorkflowAccessErrorOptions = {}) {
    super(
      options.overrideMessage ?? RestrictedWorkflowAccessError.defaultMessage(qualifiedName, options),
      { code: "WFS_RESTRICTED" },
    );
    this.qualifiedName = qualifiedName;
    this.rule = options.rule;
    this.location = options.location;
    this.hint = options.hint;
  }

  /**
   * The message used without `overrideMessage`: Python's default message (python-sandbox.md §1.7)
   * adapted to say where, by which rule, and the fix.
   *
   * @example
   * ```ts
   * import { RestrictedWorkflowAccessError } from "./errors.ts";
   * RestrictedWorkflowAccessError.defaultMessage("fs.readFileSync.__call__", { rule: "fs.*" });
   * // "Cannot access 'fs.readFileSync.__call__' from workflow code: restricted by rule 'fs.*'. …"
   * ```
   */
  static defaultMessage(
    qualifiedName: string,
    options: RestrictedWorkflowAccessErrorOptions = {},
  ): string {
    const where = options.location === undefined ? "" : ` at '${options.location}'`;
    const rule = `'${options.rule ?? qualifiedName}'`;
    const because = options.reason === undefined ? "" : ` because ${options.reason}`;
    const fix = options.hint === undefined
      ? "Do this in an activity"
      : options.hint;
    return `Cannot access '${qualifiedName}' from workflow code${where}: restricted by rule ${rule}` +
      `${because}. ${fix}. If this code is only used deterministically, wrap it in ` +
      `workflow.unsafe.sandboxUnrestricted() or pass its module through (WFS_RESTRICTED)`;
  }

  /**
   * Whether `value` is a `RestrictedWorkflowAccessError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { RestrictedWorkflowAccessError } from "./errors.ts";
   * try {
   *   Date.now();
   * } catch (error) {
   *   if (RestrictedWorkflowAccessError.is(error)) console.log(error.hint);
   * }
   * ```
   */
  static override is(value: unknown): value is RestrictedWorkflowAccessError {
    return hasBrand(value, RestrictedWorkflowAccessError.brand);
  }
}
brandClass(RestrictedWorkflowAccessError, "RestrictedWorkflowAccessError");

/**
 * Workflow code imported a module that is not listed as passthrough, under the import notification
 * policy `RAISE_ON_UNINTENTIONAL_PASSTHROUGH` (python-sandbox.md §2.6). The message is Python's
 * exactly (python-sandbox.md §1.7), because tests and log searches match it.
 *
 * @example
 * ```ts
 * import { UnintentionalPassthroughError } from "./errors.ts";
 * new UnintentionalPassthroughError("lodash").message;
 * // "Module lodash was not intentionally passed through to the sandbox."
 * ```
 */
export class UnintentionalPassthroughError extends Error {
  /** The brand every copy of this package recognises. */
  static readonly brand: symbol = brandOf("UnintentionalPassthroughError");

  /** The module id. */
  readonly qualifiedName: string;
  /** Stable code with a page in `docs/errors/`. */
  readonly code: string = "WFS_UNINTENTIONAL_PASSTHROUGH";

  constructor(qualifiedName: string) {
    super(`Module ${qualifiedName} was not intentionally passed through to the sandbox.`);
    this.qualifiedName = qualifiedName;
  }

  /**
   * Whether `value` is an `UnintentionalPassthroughError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { UnintentionalPassthroughError } from "./errors.ts";
   * UnintentionalPassthroughError.is(new UnintentionalPassthroughError("zod")); // true
   * ```
   */
  static is(value: unknown): value is UnintentionalPassthroughError {
    return hasBrand(value, UnintentionalPassthroughError.brand);
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return instanceOfBrand(this, value);
  }
}
brandClass(UnintentionalPassthroughError, "UnintentionalPassthroughError");
