/**
 * The error `prepare` throws when a workflow cannot be loaded in the sandbox, and the worker and
 * the replayer throw when the workflows module itself cannot be loaded.
 * @module
 */
import { codedError, composeMessage, type ErrorCode, errorDocs } from "./coded_error.ts";
import { brandClass, hasBrand } from "./error_brand.ts";

/**
 * `Failed validating workflow "<name>"`, with the cause and the workflow file:line:col, then the
 * fix and `WFS_VALIDATION`. The package builds it with {@link workflowValidationError}; the
 * constructor is for code that builds one itself.
 *
 * @example
 * ```ts
 * import { WorkflowValidationError } from "./workflow_validation_error.ts";
 * const error = new WorkflowValidationError("greet", new Error("boom"), "/app/w.ts:3:9");
 * error.message; // `Failed validating workflow "greet" at '/app/w.ts:3:9': boom. Fix the cause ... (WFS_VALIDATION)`
 * ```
 */
export class WorkflowValidationError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** The workflow's name (its type); empty when the workflows module as a whole failed to load. */
  readonly workflowName: string;
  /** Workflow source position where loading failed, `file:line:col`, when known. */
  readonly location: string | undefined;
  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;

  constructor(workflowName: string, cause: unknown, location?: string) {
    const message = WorkflowValidationError.what(workflowName, reasonOf(cause), location);
    super(composeMessage({ code: "WFS_VALIDATION", message, hint: WorkflowValidationError.HINT }), { cause });
    this.workflowName = workflowName;
    this.location = location;
    this.code = "WFS_VALIDATION";
    this.hint = WorkflowValidationError.HINT;
    this.docs = errorDocs("WFS_VALIDATION");
  }

  /** The fix the error gives when the cause is an error of the workflow's modules. */
  static readonly HINT = "Fix the cause (error.cause); if a library does this at import time, pass it through " +
    "(SandboxRestrictions.withPassthroughModules)";

  /**
   * What happened: which workflow, where, and why.
   *
   * @example
   * ```ts
   * import { WorkflowValidationError } from "./workflow_validation_error.ts";
   * WorkflowValidationError.what("greet", "boom"); // 'Failed validating workflow "greet": boom'
   * ```
   */
  static what(workflowName: string, reason: string, location?: string): string {
    return `Failed validating workflow "${workflowName}"${location ? ` at '${location}'` : ""}: ${reason}`;
  }

  /**
   * Whether `value` is a `WorkflowValidationError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { WorkflowValidationError, workflowValidationError } from "./workflow_validation_error.ts";
   * WorkflowValidationError.is(workflowValidationError("greet", { reason: "x" })); // true
   * ```
   */
  static is(value: unknown): value is WorkflowValidationError {
    return hasBrand(value, WorkflowValidationError.brand);
  }
}
brandClass(WorkflowValidationError, "error", "WorkflowValidationError");

function reasonOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * What failed when a workflow was validated: the error it threw (`cause`), or a `reason` the
 * runner found itself with its own `hint`.
 *
 * @example
 * ```ts
 * import type { ValidationProblem } from "./workflow_validation_error.ts";
 * const problem: ValidationProblem = { reason: "'greet' is not exported", hint: "Export it" };
 * ```
 */
export interface ValidationProblem {
  /** The error loading threw; its message is the reason unless `reason` is given. */
  readonly cause?: unknown;
  /** Why validation failed, when there is no cause to quote. */
  readonly reason?: string;
  /** Workflow source position, `file:line:col`. */
  readonly location?: string;
  /** The fix; {@link WorkflowValidationError.HINT} when absent. */
  readonly hint?: string;
}

/**
 * Builds the `WorkflowValidationError` of a workflow, through the error factory.
 *
 * @example
 * ```ts
 * import { workflowValidationError } from "./workflow_validation_error.ts";
 * const error = workflowValidationError("greet", { cause: new Error("boom"), location: "/app/w.ts:3:9" });
 * error.location; // "/app/w.ts:3:9"
 * ```
 */
export function workflowValidationError(workflowName: string, problem: ValidationProblem): WorkflowValidationError {
  const reason = problem.reason ?? reasonOf(problem.cause);
  return codedError(
    WorkflowValidationError,
    {
      code: "WFS_VALIDATION",
      message: WorkflowValidationError.what(workflowName, reason, problem.location),
      hint: problem.hint ?? WorkflowValidationError.HINT,
      cause: problem.cause,
    },
    { workflowName, location: problem.location },
  );
}

/**
 * Builds the `WorkflowValidationError` of a workflows module that cannot be loaded at all (it does
 * not exist, does not compile, throws while it is imported, exports no workflow): no workflow is
 * known yet, so `workflowName` is empty and the message names the module.
 *
 * @example
 * ```ts
 * import { workflowsModuleError } from "./workflow_validation_error.ts";
 * const error = workflowsModuleError("/app/workflows.ts", { reason: "it exports no workflow", hint: "Export one" });
 * error.message; // "Cannot load the workflows of '/app/workflows.ts': it exports no workflow. Export one (WFS_VALIDATION)"
 * ```
 */
export function workflowsModuleError(workflowsPath: string, problem: ValidationProblem): WorkflowValidationError {
  const reason = problem.reason ?? reasonOf(problem.cause);
  const where = problem.location !== undefined && !reason.includes(problem.location) ? ` at '${problem.location}'` : "";
  return codedError(
    WorkflowValidationError,
    {
      code: "WFS_VALIDATION",
      message: `Cannot load the workflows of '${workflowsPath}'${where}: ${reason}`,
      hint: problem.hint ?? WorkflowValidationError.HINT,
      cause: problem.cause,
    },
    { workflowName: "", location: problem.location },
  );
}
