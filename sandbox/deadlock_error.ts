/**
 * The error of an activation that did not finish in time: a synchronous loop interrupted by the
 * deadlock guard, or microtasks that kept the run busy past the limit.
 * @module
 */

/**
 * Thrown by `activate` when an activation overruns `deadlockTimeoutMs` (WFS_DEADLOCK).
 *
 * @example
 * ```ts
 * import { DeadlockError } from "./deadlock_error.ts";
 * const error = new DeadlockError(2000, "synchronous");
 * error.code; // "WFS_DEADLOCK"
 * ```
 */
export class DeadlockError extends Error {
  readonly code = "WFS_DEADLOCK";
  readonly timeoutMs: number;
  readonly phase: "synchronous" | "microtasks";

  constructor(timeoutMs: number, phase: "synchronous" | "microtasks", cause?: unknown) {
    super(
      phase === "synchronous"
        ? `Potential deadlock: the workflow's synchronous code ran longer than ${timeoutMs} ms and was interrupted. ` +
          `Look for a loop that never yields; move long computations to an activity, or raise deadlockTimeoutMs ` +
          `(debugMode turns the guard off) (WFS_DEADLOCK)`
        : `Potential deadlock: the workflow's microtasks kept the activation busy longer than ${timeoutMs} ms. ` +
          `Look for a promise chain that never settles into a durable wait (WFS_DEADLOCK)`,
      { cause },
    );
    this.name = "DeadlockError";
    this.timeoutMs = timeoutMs;
    this.phase = phase;
  }

  /** Recognises the error across package copies (a `Symbol.for` brand would also do). */
  static is(value: unknown): value is DeadlockError {
    return value instanceof Error && (value as { code?: unknown }).code === "WFS_DEADLOCK";
  }
}
