/**
 * Runs the synchronous part of an activation under a time limit. `vm.Script#runInThisContext`
 * with `timeout` interrupts a synchronous loop in the host realm (Node and Deno both implement
 * it with V8's TerminateExecution), which no JavaScript-level timer can do.
 * @module
 */
import vm from "node:vm";
import { deadlockError } from "./deadlock_error.ts";

const SLOT = Symbol.for("workflow-sandbox.deadlock-guard.job");
// Defined when the module loads, before any mutation-report snapshot: created during the first
// activation, the slot was reported as a write to the shared global.
(globalThis as Record<symbol, unknown>)[SLOT] ??= undefined;
const script = new vm.Script(`globalThis[Symbol.for("workflow-sandbox.deadlock-guard.job")]()`, {
  filename: "workflow-sandbox:deadlock-guard",
});

/**
 * Calls `fn`, interrupting it after `timeoutMs` (no limit when undefined or 0).
 *
 * @example
 * ```ts
 * import { runWithDeadline } from "./deadlock_guard.ts";
 * runWithDeadline(() => 1 + 1, 100); // 2
 * ```
 */
export function runWithDeadline<T>(fn: () => T, timeoutMs: number | undefined): T {
  if (!timeoutMs) return fn();
  const host = globalThis as Record<symbol, unknown>;
  const previous = host[SLOT];
  host[SLOT] = fn;
  try {
    return script.runInThisContext({ timeout: timeoutMs }) as T;
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
      throw deadlockError(timeoutMs, "synchronous", error);
    }
    throw error;
  } finally {
    host[SLOT] = previous;
  }
}
