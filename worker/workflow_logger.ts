/**
 * `workflow.logger`: logs through the worker's logger with the run's identity attached, and stays
 * silent while history is replayed, so a replay (after an eviction or a restart) does not repeat
 * lines already written.
 * @module
 */
import { currentWorkflowState } from "./_current_workflow.ts";
import type { LogLevel } from "./_workflow_run_state.ts";

/**
 * The logger interface of `workflow.logger` (and of the worker's `logger` option).
 *
 * @example
 * ```ts
 * import type { WorkflowLogger } from "./workflow_logger.ts";
 * const log = (logger: WorkflowLogger) => logger.info("charged", { amount: 10 });
 * ```
 */
export interface WorkflowLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

function method(level: LogLevel, name: string) {
  return (message: string, attributes: Record<string, unknown> = {}): void => {
    const state = currentWorkflowState(`workflow.logger.${name}(...)`);
    if (state.replaying) return;
    const id = state.identity;
    state.log(level, message, {
      ...attributes,
      sdkComponent: "workflow",
      workflowId: id.workflowId,
      runId: id.runId,
      workflowType: id.workflowType,
      taskQueue: id.taskQueue,
    });
  };
}

/**
 * Logs from workflow code; silent during replay.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * export const greet = workflow.defn(async function greet(name: string) {
 *   workflow.logger.info("greeting", { name });
 *   return `Hello, ${name}!`;
 * });
 * ```
 */
export const logger: WorkflowLogger = Object.freeze({
  debug: method("DEBUG", "debug"),
  info: method("INFO", "info"),
  warn: method("WARN", "warn"),
  error: method("ERROR", "error"),
});
