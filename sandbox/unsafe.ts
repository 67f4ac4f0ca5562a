/**
 * `workflow.unsafe`: ways around the sandbox, each named for what it gives up.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
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

// Created on first use only: an AsyncLocalStorage makes every `await` in the process slower on
// Node 20 and 22 (measured 56 to 128 ns), a price only code that asks for this escape hatch pays.
let unrestrictedScope: AsyncLocalStorage<SandboxRun> | undefined;

/**
 * Runs `fn` with the sandbox's restrictions off (isolation stays: imports and globals are still
 * the run's). The scope is exact:
 * - `fn`'s synchronous part, in this run;
 * - the async continuations created inside `fn` (its `await`s and the promise callbacks it
 *   registers), while they run in this same run's activation. A continuation that runs while
 *   another run's activation is current is restricted again: the scope never reaches another run.
 * A restricted call still reports nothing inside the scope, as in Python.
 *
 * @example
 * ```ts
 * import { workflow } from "workflow-sandbox";
 * const started = workflow.unsafe.sandboxUnrestricted(() => Date.now());
 * ```
 */
export function sandboxUnrestricted<T>(fn: () => T): T {
  const run = currentRun() as SandboxRun | undefined;
  if (!run?.sandboxed) return fn();
  unrestrictedScope ??= new AsyncLocalStorage<SandboxRun>();
  run.unrestrictedDepth++;
  try {
    return unrestrictedScope.run(run, fn);
  } finally {
    run.unrestrictedDepth--;
  }
}

/**
 * Whether restrictions are off here (inside `sandboxUnrestricted`).
 *
 * @example
 * ```ts
 * import { isSandboxUnrestricted } from "./unsafe.ts";
 * isSandboxUnrestricted(); // false
 * ```
 */
export function isSandboxUnrestricted(): boolean {
  const run = currentRun() as SandboxRun | undefined;
  if (!run?.sandboxed) return false;
  return run.unrestrictedDepth > 0 || unrestrictedScope?.getStore() === run;
}
