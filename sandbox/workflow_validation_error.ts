/**
 * The error `prepare` throws when a workflow cannot be loaded in the sandbox.
 * @module
 */

/**
 * `Failed validating workflow "<name>"`, with the cause and the workflow file:line.
 *
 * @example
 * ```ts
 * import { WorkflowValidationError } from "./workflow_validation_error.ts";
 * const error = new WorkflowValidationError("greet", new Error("boom"), "/app/w.ts:3:9");
 * error.message; // 'Failed validating workflow "greet" at /app/w.ts:3:9: boom'
 * ```
 */
export class WorkflowValidationError extends Error {
  readonly workflowName: string;
  readonly location: string | undefined;
  readonly code = "WFS_VALIDATION";

  constructor(workflowName: string, cause: unknown, location?: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Failed validating workflow "${workflowName}"${location ? ` at ${location}` : ""}: ${reason}`, { cause });
    this.name = "WorkflowValidationError";
    this.workflowName = workflowName;
    this.location = location;
  }
}
