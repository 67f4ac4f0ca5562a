/**
 * Errors the client throws (Temporal TypeScript's names): a workflow that ended without a
 * result, a workflow id already running, a workflow that does not exist, a query that failed.
 * Each carries a stable `code`.
 * @module
 */
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
  readonly code = "WFS_WORKFLOW_FAILED";
  readonly retryState: RetryState;
  constructor(message: string, cause: Error, retryState: RetryState = "UNSPECIFIED") {
    super(message, { cause });
    this.name = "WorkflowFailedError";
    this.retryState = retryState;
  }
}

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
  readonly code = "WFS_ALREADY_STARTED";
  readonly workflowId: string;
  readonly workflowType: string;
  constructor(workflowId: string, workflowType: string, options?: ErrorOptions) {
    super(
      `Cannot start workflow '${workflowId}' (type '${workflowType}'): a run with this id is still running; ` +
        `wait for it (handle.result()), cancel or terminate it, or use another id (WFS_ALREADY_STARTED)`,
      options,
    );
    this.name = "WorkflowExecutionAlreadyStartedError";
    this.workflowId = workflowId;
    this.workflowType = workflowType;
  }
}

/**
 * The workflow id (or run) does not exist, or the operation needs a running workflow.
 *
 * @example
 * ```ts
 * import { WorkflowNotFoundError } from "./client_errors.ts";
 * new WorkflowNotFoundError("No workflow 'x' (WFS_WORKFLOW_NOT_FOUND)", "x").workflowId; // "x"
 * ```
 */
export class WorkflowNotFoundError extends Error {
  readonly code = "WFS_WORKFLOW_NOT_FOUND";
  readonly workflowId: string;
  readonly runId: string | undefined;
  constructor(message: string, workflowId: string, runId?: string) {
    super(message);
    this.name = "WorkflowNotFoundError";
    this.workflowId = workflowId;
    this.runId = runId;
  }
}

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
  readonly code = "WFS_QUERY_NOT_REGISTERED";
  constructor(message: string) {
    super(message);
    this.name = "QueryNotRegisteredError";
  }
}

/**
 * A query could not be answered: its handler threw (see `cause`, a converted copy), no worker
 * polls the task queue, or the workflow cannot be replayed.
 *
 * @example
 * ```ts
 * import { QueryFailedError } from "./client_errors.ts";
 * new QueryFailedError("Query 'status' failed", new Error("boom")).code; // "WFS_QUERY_FAILED"
 * ```
 */
export class QueryFailedError extends Error {
  readonly code = "WFS_QUERY_FAILED";
  constructor(message: string, cause?: Error) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "QueryFailedError";
  }
}
