/**
 * Errors the client throws (Temporal TypeScript's names): a workflow that ended without a
 * result, a workflow id already running, a workflow that does not exist, a query that failed.
 * Each carries a stable `code`, a `hint` (the fix) and `docs`, the address of the code's page.
 *
 * Each class is branded (../sandbox/error_brand.ts), so two copies of the package recognise each
 * other's errors. The package builds them with `codedError()` (../sandbox/coded_error.ts); their
 * constructors are for code that builds one itself (a test double of a client, say).
 * @module
 */
import { composeMessage, type ErrorCode, errorDocs } from "../sandbox/coded_error.ts";
import { brandClass, hasBrand } from "../sandbox/error_brand.ts";
import type { RetryState } from "./failure.ts";

/**
 * `handle.result()` of a workflow that failed, was cancelled or was terminated; `cause` says which
 * (`ApplicationFailure`, `CancelledFailure`, `TerminatedFailure`, ...).
 *
 * @example
 * ```ts
 * import { WorkflowFailedError } from "./client_errors.ts";
 * try {
 *   // await handle.result();
 * } catch (error) {
 *   if (error instanceof WorkflowFailedError) console.log(error.cause);
 * }
 * ```
 */
export class WorkflowFailedError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;
  /** Why nothing retried the workflow. */
  readonly retryState: RetryState;

  /** `message` is used as given (Temporal's "Workflow execution failed"). */
  constructor(message: string, cause: Error, retryState: RetryState = "UNSPECIFIED") {
    super(message, { cause });
    this.code = "WFS_WORKFLOW_FAILED";
    this.hint = WorkflowFailedError.HINT;
    this.docs = errorDocs("WFS_WORKFLOW_FAILED");
    this.retryState = retryState;
  }

  /** The fix the error gives. */
  static readonly HINT = "See error.cause for the failure the workflow ended with; if the workflow should not " +
    "have failed, handle that failure inside it";

  /**
   * Whether `value` is a `WorkflowFailedError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { WorkflowFailedError } from "./client_errors.ts";
   * declare const error: unknown; // from handle.result()
   * if (WorkflowFailedError.is(error)) console.log(error.retryState, error.cause);
   * ```
   */
  static is(value: unknown): value is WorkflowFailedError {
    return hasBrand(value, WorkflowFailedError.brand);
  }
}
brandClass(WorkflowFailedError, "error", "WorkflowFailedError");

/**
 * `startWorkflow` with the id of a workflow that is still running.
 *
 * @example
 * ```ts
 * import { WorkflowExecutionAlreadyStartedError } from "./client_errors.ts";
 * new WorkflowExecutionAlreadyStartedError("order-1", "order").code; // "WFS_ALREADY_STARTED"
 * ```
 */
export class WorkflowExecutionAlreadyStartedError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;
  readonly workflowId: string;
  readonly workflowType: string;

  constructor(workflowId: string, workflowType: string, options?: ErrorOptions) {
    super(
      composeMessage({
        code: "WFS_ALREADY_STARTED",
        message: WorkflowExecutionAlreadyStartedError.what(workflowId, workflowType),
        hint: WorkflowExecutionAlreadyStartedError.HINT,
      }),
      options,
    );
    this.code = "WFS_ALREADY_STARTED";
    this.hint = WorkflowExecutionAlreadyStartedError.HINT;
    this.docs = errorDocs("WFS_ALREADY_STARTED");
    this.workflowId = workflowId;
    this.workflowType = workflowType;
  }

  /** The fix the error gives. */
  static readonly HINT = "Wait for it (handle.result()), cancel or terminate it, or use another id";

  /**
   * What happened, without the fix.
   *
   * @example
   * ```ts
   * import { WorkflowExecutionAlreadyStartedError } from "./client_errors.ts";
   * WorkflowExecutionAlreadyStartedError.what("order-1", "order");
   * // "Cannot start workflow 'order-1' (type 'order'): a run with this id is still running"
   * ```
   */
  static what(workflowId: string, workflowType: string): string {
    return `Cannot start workflow '${workflowId}' (type '${workflowType}'): a run with this id is still running`;
  }

  /**
   * Whether `value` is a `WorkflowExecutionAlreadyStartedError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { WorkflowExecutionAlreadyStartedError } from "./client_errors.ts";
   * declare const error: unknown; // from client.startWorkflow()
   * if (WorkflowExecutionAlreadyStartedError.is(error)) console.log(error.workflowId);
   * ```
   */
  static is(value: unknown): value is WorkflowExecutionAlreadyStartedError {
    return hasBrand(value, WorkflowExecutionAlreadyStartedError.brand);
  }
}
brandClass(WorkflowExecutionAlreadyStartedError, "error", "WorkflowExecutionAlreadyStartedError");

/**
 * The workflow id (or run) does not exist, or the operation needs a running workflow.
 *
 * @example
 * ```ts
 * import { WorkflowNotFoundError } from "./client_errors.ts";
 * new WorkflowNotFoundError("No workflow 'x' exists in this environment's store", "x").workflowId; // "x"
 * ```
 */
export class WorkflowNotFoundError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;
  readonly workflowId: string;
  readonly runId: string | undefined;

  /** `message` is used as given; `hint` defaults to {@linkcode WorkflowNotFoundError.HINT}. */
  constructor(message: string, workflowId: string, runId?: string, hint: string = WorkflowNotFoundError.HINT) {
    super(message);
    this.code = "WFS_WORKFLOW_NOT_FOUND";
    this.hint = hint;
    this.docs = errorDocs("WFS_WORKFLOW_NOT_FOUND");
    this.workflowId = workflowId;
    this.runId = runId;
  }

  /** The fix for an id that names no workflow. */
  static readonly HINT = "Check the id (and the run id: after continue-as-new the latest run has another one; " +
    "omit it to follow the latest)";

  /**
   * Whether `value` is a `WorkflowNotFoundError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { WorkflowNotFoundError } from "./client_errors.ts";
   * declare const error: unknown; // from handle.signal()
   * if (WorkflowNotFoundError.is(error)) console.log(error.workflowId, error.runId);
   * ```
   */
  static is(value: unknown): value is WorkflowNotFoundError {
    return hasBrand(value, WorkflowNotFoundError.brand);
  }
}
brandClass(WorkflowNotFoundError, "error", "WorkflowNotFoundError");

/**
 * A query named a handler the workflow does not have.
 *
 * @example
 * ```ts
 * import { QueryNotRegisteredError } from "./client_errors.ts";
 * new QueryNotRegisteredError("no handler 'x'").code; // "WFS_QUERY_NOT_REGISTERED"
 * ```
 */
export class QueryNotRegisteredError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;

  /** `message` is used as given; `hint` defaults to a generic fix. */
  constructor(message: string, hint = "Add the query handler with @workflow.query or workflow.setHandler(), or correct the query name") {
    super(message);
    this.code = "WFS_QUERY_NOT_REGISTERED";
    this.hint = hint;
    this.docs = errorDocs("WFS_QUERY_NOT_REGISTERED");
  }

  /**
   * Whether `value` is a `QueryNotRegisteredError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { QueryNotRegisteredError } from "./client_errors.ts";
   * declare const error: unknown; // from handle.query()
   * if (QueryNotRegisteredError.is(error)) console.log(error.hint);
   * ```
   */
  static is(value: unknown): value is QueryNotRegisteredError {
    return hasBrand(value, QueryNotRegisteredError.brand);
  }
}
brandClass(QueryNotRegisteredError, "error", "QueryNotRegisteredError");

/**
 * A query could not be answered: its handler threw (see `cause`, a converted copy), or the run
 * is gone or cannot be replayed.
 *
 * @example
 * ```ts
 * import { QueryFailedError } from "./client_errors.ts";
 * new QueryFailedError("Query 'status' failed", new Error("boom")).code; // "WFS_QUERY_FAILED"
 * ```
 */
export class QueryFailedError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;

  /** `message` is used as given; `hint` defaults to a generic fix. */
  constructor(message: string, cause?: Error, hint = "Fix what error.cause reports; queries change nothing, so the workflow is unaffected") {
    super(message, cause === undefined ? undefined : { cause });
    this.code = "WFS_QUERY_FAILED";
    this.hint = hint;
    this.docs = errorDocs("WFS_QUERY_FAILED");
  }

  /**
   * Whether `value` is a `QueryFailedError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { QueryFailedError } from "./client_errors.ts";
   * declare const error: unknown; // from handle.query()
   * if (QueryFailedError.is(error)) console.log(error.cause);
   * ```
   */
  static is(value: unknown): value is QueryFailedError {
    return hasBrand(value, QueryFailedError.brand);
  }
}
brandClass(QueryFailedError, "error", "QueryFailedError");
