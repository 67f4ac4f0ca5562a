/**
 * The error of an activation that did not finish in time: a synchronous loop interrupted by the
 * deadlock guard, or microtasks that kept the run busy past the limit.
 * @module
 */
import { codedError, composeMessage, type ErrorCode, errorDocs, type ErrorFacts } from "./coded_error.ts";
import { brandClass, hasBrand } from "./error_brand.ts";

/** Where an activation overran its limit. */
export type DeadlockPhase = "synchronous" | "microtasks";

/**
 * Thrown by `activate` when an activation overruns `deadlockTimeoutMs` (WFS_DEADLOCK). The package
 * builds it with `codedError(DeadlockError, DeadlockError.facts(...), { timeoutMs, phase })`; the
 * constructor is for code that builds one itself.
 *
 * @example
 * ```ts
 * import { DeadlockError } from "./deadlock_error.ts";
 * const error = new DeadlockError(2000, "synchronous");
 * error.code; // "WFS_DEADLOCK"
 * ```
 */
export class DeadlockError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;
  /** The limit the activation overran, in milliseconds. */
  readonly timeoutMs: number;
  /** Whether synchronous code was interrupted, or microtasks kept the activation busy. */
  readonly phase: DeadlockPhase;

  constructor(timeoutMs: number, phase: DeadlockPhase, cause?: unknown) {
    const facts = DeadlockError.facts(timeoutMs, phase, cause);
    super(composeMessage(facts), cause === undefined ? undefined : { cause });
    this.code = facts.code;
    this.hint = facts.hint;
    this.docs = errorDocs(facts.code);
    this.timeoutMs = timeoutMs;
    this.phase = phase;
  }

  /**
   * What the error says for a limit and a phase: what happened, the fix, the cause.
   *
   * @example
   * ```ts
   * import { DeadlockError } from "./deadlock_error.ts";
   * DeadlockError.facts(100, "microtasks").message;
   * // "Potential deadlock: the workflow's microtasks kept the activation busy longer than 100 ms"
   * ```
   */
  static facts(timeoutMs: number, phase: DeadlockPhase, cause?: unknown): ErrorFacts {
    return phase === "synchronous"
      ? {
        code: "WFS_DEADLOCK",
        message: `Potential deadlock: the workflow's synchronous code ran longer than ${timeoutMs} ms and was interrupted`,
        hint: "Look for a loop that never yields; move long computations to an activity, or raise " +
          "deadlockTimeoutMs (debugMode turns the guard off)",
        cause,
      }
      : {
        code: "WFS_DEADLOCK",
        message: `Potential deadlock: the workflow's microtasks kept the activation busy longer than ${timeoutMs} ms`,
        hint: "Look for a promise chain that never settles into a durable wait",
        cause,
      };
  }

  /**
   * Recognises the error across package copies (by its `Symbol.for` brand).
   *
   * @example
   * ```ts
   * import { DeadlockError, deadlockError } from "./deadlock_error.ts";
   * DeadlockError.is(deadlockError(100, "microtasks")); // true
   * ```
   */
  static is(value: unknown): value is DeadlockError {
    return hasBrand(value, DeadlockError.brand);
  }
}
brandClass(DeadlockError, "error", "DeadlockError");

/**
 * Builds the `DeadlockError` of an activation that overran `timeoutMs`, through the error factory.
 *
 * @example
 * ```ts
 * import { deadlockError } from "./deadlock_error.ts";
 * const error = deadlockError(2000, "synchronous");
 * error.phase; // "synchronous"
 * ```
 */
export function deadlockError(timeoutMs: number, phase: DeadlockPhase, cause?: unknown): DeadlockError {
  return codedError(DeadlockError, DeadlockError.facts(timeoutMs, phase, cause), { timeoutMs, phase });
}
