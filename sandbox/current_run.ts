/**
 * The "current run" slot. A worker runs one activation at a time and an activation runs until its
 * microtasks drain, so one slot set around the activation tells `workflow.unsafe.inSandbox()`,
 * the restriction context and `workflow.now()` which run is executing, at the cost of a property
 * read. AsyncLocalStorage would follow continuations too, but it slows every `await` in the
 * process (measured 56 to 128 ns on Node 20 and 22), so it is not used on this path.
 * @module
 */

/** What the slot holds while a run executes; the sandbox and the worker add their own fields. */
export interface RunSlotValue {
  /** True while module bodies are first evaluated (import time), false at run time. */
  readonly importing: boolean;
  /** True when the run is sandboxed (false for the unsandboxed runner). */
  readonly sandboxed: boolean;
  /** Host data attached by the worker (its activation state), opaque to the sandbox. */
  readonly host: unknown;
}

const SLOT_KEY = Symbol.for("workflow-sandbox.current-run");

interface Slot {
  current: RunSlotValue | undefined;
}

// One slot per process even if the module is evaluated twice (dist and sources share a package
// root, which `register()` accepts as one copy).
const slot: Slot = ((globalThis as Record<symbol, Slot | undefined>)[SLOT_KEY] ??= { current: undefined });

/**
 * Returns the run executing now, or undefined on the host.
 *
 * @example
 * ```ts
 * import { currentRun } from "./current_run.ts";
 * currentRun(); // undefined outside a workflow
 * ```
 */
export function currentRun(): RunSlotValue | undefined {
  return slot.current;
}

/**
 * Runs `fn` with `run` in the slot and restores the previous value afterwards (activations do
 * not nest, but a validation sandbox may be prepared while another run is active in a test).
 *
 * @example
 * ```ts
 * import { currentRun, withRun } from "./current_run.ts";
 * withRun({ importing: false, sandboxed: true, host: undefined }, () => currentRun()?.sandboxed); // true
 * ```
 */
export function withRun<T>(run: RunSlotValue | undefined, fn: () => T): T {
  const previous = slot.current;
  slot.current = run;
  try {
    return fn();
  } finally {
    slot.current = previous;
  }
}

/** Sets the slot until the returned function is called (for spans that cross `await`). */
export function enterRun(run: RunSlotValue | undefined): () => void {
  const previous = slot.current;
  slot.current = run;
  return () => {
    slot.current = previous;
  };
}
