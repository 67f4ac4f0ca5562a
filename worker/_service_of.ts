/**
 * The link from a `WorkflowEnvironment` to its engine, kept off the public surface.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import type { HistoryService } from "./_history_service.ts";

const services = new WeakMap<object, HistoryService>();

/** Attaches `service` to `environment`. */
export function attachService(environment: object, service: HistoryService): void {
  services.set(environment, service);
}

/** The engine of `environment`, or an error naming what was passed instead. */
export function serviceOf(environment: unknown, call: string): HistoryService {
  const service = typeof environment === "object" && environment !== null ? services.get(environment) : undefined;
  if (service === undefined) {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `${call} takes a WorkflowEnvironment, got ${environment === null ? "null" : typeof environment}`,
      hint: "Pass the environment from WorkflowEnvironment.startLocal() or startTimeSkipping()",
    });
  }
  if (service.closed) {
    throw codedError(Error, {
      code: "WFS_ENV_CLOSED",
      message: `${call}: the WorkflowEnvironment was torn down`,
      hint: "Start a new one, or tear the environment down only after every call on it has settled",
    });
  }
  return service;
}
