/**
 * The link from a `WorkflowEnvironment` to its engine, kept off the public surface.
 * @module
 */
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
    throw new TypeError(
      `${call} takes a WorkflowEnvironment (from WorkflowEnvironment.startLocal() or startTimeSkipping()), ` +
        `got ${environment === null ? "null" : typeof environment} (WFS_INVALID_OPTION)`,
    );
  }
  if (service.closed) {
    throw Object.assign(new Error(`${call}: the WorkflowEnvironment was torn down; start a new one (WFS_ENV_CLOSED)`), {
      code: "WFS_ENV_CLOSED",
    });
  }
  return service;
}
