/**
 * Errors the sandbox throws into workflow code. Each class is branded (./error_brand.ts), so two
 * copies of the package recognise each other's errors; the package builds them with
 * `codedError()` (./coded_error.ts), and their constructors are for workflow and host code that
 * builds one itself.
 *
 * @module
 */
import { brandClass, hasBrand } from "./error_brand.ts";
import { composeMessage, type ErrorCode, errorDocs } from "./coded_error.ts";

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
  readonly code?: ErrorCode;
  /**
   * The fix.
   * @default {"Make the workflow take the same decisions on replay, or version the change with workflow.patched()"}
   */
  readonly hint?: string;
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
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;

  constructor(message: string, options: NondeterminismErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? "WFS_NONDETERMINISM";
    this.hint = options.hint ??
      "Make the workflow take the same decisions on replay, or version the change with workflow.patched()";
    this.docs = errorDocs(this.code);
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
}
brandClass(NondeterminismError, "error", "NondeterminismError");

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
 * Workflow code reached a restricted value (docs/coming-from-temporal-python.md). Code may catch
 * it, as in Python: the restricted access throws on every run, so a fallback is deterministic; the
 * sandbox still reports every hit so a silent fallback shows up in logs.
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
  /** What was denied, as a qualified rule path (`globalThis.Date.now.__call__`). */
  readonly qualifiedName: string;
  /** The rule that matched (`globalThis.Date.now.__call__`, or `fs.*` for a whole module). */
  readonly rule: string | undefined;
  /** Workflow source position of the access, `file:line:col`, when the sandbox could locate it. */
  readonly location: string | undefined;

  constructor(qualifiedName: string, options: RestrictedWorkflowAccessErrorOptions = {}) {
    super(
      options.overrideMessage ?? RestrictedWorkflowAccessError.defaultMessage(qualifiedName, options),
      { code: "WFS_RESTRICTED", hint: RestrictedWorkflowAccessError.defaultHint(options) },
    );
    this.qualifiedName = qualifiedName;
    this.rule = options.rule;
    this.location = options.location;
  }

  /**
   * What the message says happened, without the fix: denied what, where, by which rule, why.
   *
   * @example
   * ```ts
   * import { RestrictedWorkflowAccessError } from "./errors.ts";
   * RestrictedWorkflowAccessError.what("fs.readFileSync.__call__", { rule: "fs.*" });
   * // "Cannot access 'fs.readFileSync.__call__' from workflow code: restricted by rule 'fs.*'"
   * ```
   */
  static what(qualifiedName: string, options: RestrictedWorkflowAccessErrorOptions = {}): string {
    const where = options.location === undefined ? "" : ` at '${options.location}'`;
    const rule = `'${options.rule ?? qualifiedName}'`;
    const because = options.reason === undefined ? "" : ` because ${options.reason}`;
    return `Cannot access '${qualifiedName}' from workflow code${where}: restricted by rule ${rule}${because}`;
  }

  /**
   * The fix the message gives: the rule's own alternative, and the escape hatches.
   *
   * @example
   * ```ts
   * import { RestrictedWorkflowAccessError } from "./errors.ts";
   * RestrictedWorkflowAccessError.defaultHint({ hint: "Use workflow.now() instead" }).startsWith("Use workflow.now()"); // true
   * ```
   */
  static defaultHint(options: RestrictedWorkflowAccessErrorOptions = {}): string {
    const fix = options.hint === undefined ? "Do this in an activity" : options.hint.replace(/\.$/, "");
    return `${fix}. If this code is only used deterministically, wrap it in ` +
      `workflow.unsafe.sandboxUnrestricted() or pass its module through`;
  }

  /**
   * The message used without `overrideMessage`: Python's default message adapted to say where, by
   * which rule, and the fix.
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
    return `${RestrictedWorkflowAccessError.what(qualifiedName, options)}. ` +
      `${RestrictedWorkflowAccessError.defaultHint(options)} (WFS_RESTRICTED)`;
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
brandClass(RestrictedWorkflowAccessError, "error", "RestrictedWorkflowAccessError");

/**
 * Workflow code imported a module that is not listed as passthrough, under the import notification
 * policy `RAISE_ON_UNINTENTIONAL_PASSTHROUGH`. The message starts with Python's exactly, because
 * tests and log searches match it.
 *
 * @example
 * ```ts
 * import { UnintentionalPassthroughError } from "./errors.ts";
 * new UnintentionalPassthroughError("lodash").message.startsWith("Module lodash was not intentionally passed through"); // true
 * ```
 */
export class UnintentionalPassthroughError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** The fix the error gives. */
  static readonly HINT = "Pass it through (SandboxRestrictions.withPassthroughModules) or import it " +
    "inside workflow.unsafe.importsPassedThrough(), or choose another import notification policy";

  /** The module id. */
  readonly qualifiedName: string;
  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode = "WFS_UNINTENTIONAL_PASSTHROUGH";
  /** The fix. */
  readonly hint: string = UnintentionalPassthroughError.HINT;
  /** The address of the code's page. */
  readonly docs: string = errorDocs("WFS_UNINTENTIONAL_PASSTHROUGH");

  constructor(qualifiedName: string) {
    super(composeMessage({
      code: "WFS_UNINTENTIONAL_PASSTHROUGH",
      message: UnintentionalPassthroughError.what(qualifiedName),
      hint: UnintentionalPassthroughError.HINT,
    }));
    this.qualifiedName = qualifiedName;
  }

  /**
   * What happened: Python's sentence, without its period.
   *
   * @example
   * ```ts
   * import { UnintentionalPassthroughError } from "./errors.ts";
   * UnintentionalPassthroughError.what("zod"); // "Module zod was not intentionally passed through to the sandbox"
   * ```
   */
  static what(qualifiedName: string): string {
    return `Module ${qualifiedName} was not intentionally passed through to the sandbox`;
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
}
brandClass(UnintentionalPassthroughError, "error", "UnintentionalPassthroughError");
