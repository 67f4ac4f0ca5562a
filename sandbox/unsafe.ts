/**
 * `workflow.unsafe`: ways around the sandbox, each named for what it gives up.
 * @module
 */
import { currentRun } from "./current_run.ts";
import type { SandboxRun } from "./sandbox_run.ts";

/**
 * True while code runs inside a sandboxed workflow run (its import time and its run time), false
 * on the host and in unsandboxed runs.
 *
 * @example
 * ```ts
 * import { inSandbox } from "./unsafe.ts";
 * inSandbox(); // false on the host
 * ```
 */
export function inSandbox(): boolean {
  return currentRun()?.sandboxed === true;
}

/**
 * Imports inside `fn` are passed through: the host's own instances, shared by all runs. The
 * callback's synchronous part decides: `import()` calls made in it are passed through.
 *
 * @example
 * ```ts
 * import { importsPassedThrough } from "./unsafe.ts";
 * const { z } = await importsPassedThrough(() => import("zod"));
 * ```
 */
export function importsPassedThrough<T>(fn: () => T): T {
  const run = currentRun() as SandboxRun | undefined;
  if (!run?.sandboxed) return fn();
  run.passthroughDepth++;
  try {
    return fn();
  } finally {
    run.passthroughDepth--;
  }
}
