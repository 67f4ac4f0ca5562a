/**
 * The error of workflow code that did not yield in time: a synchronous loop, or microtasks that
 * kept the run busy, interrupted by the deadlock guard (./deadlock_guard.ts).
 * @module
 */
import { codedError, composeMessage, type ErrorCode, errorDocs, type ErrorFacts } from "./coded_error.ts";
import { brandClass, hasBrand } from "./error_brand.ts";

/** Where an activation overran its limit. */
export type DeadlockPhase = "synchronous" | "microtasks";

/** What the guard knows about the interrupted code, for the message. */
export interface DeadlockDetails {
  /** The workflow type. */
  readonly workflow?: string;
  /** The workflow source position the code was interrupted at, `file:line:col`. */
  readonly location?: string;
  /** What ran: "an activation", "its modules' top-level code", ... */
  readonly during?: string;
}

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
  /** The workflow type, when the guard knew it. */
  declare readonly workflow?: string;
  /** Where the workflow code was interrupted (`file:line:col`), when the runtime could tell. */
  declare readonly location?: string;

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
   * What the error says for a limit and a phase (and, when known, the workflow, what it ran and
   * where it was interrupted): what happened, the fix, the cause.
   *
   * @example
   * ```ts
   * import { DeadlockError } from "./deadlock_error.ts";
   * DeadlockError.facts(100, "microtasks").message;
   * // "Potential deadlock: the workflow's microtasks kept the activation busy longer than 100 ms"
   * DeadlockError.facts(100, "synchronous", undefined, { workflow: "spin", location: "/app/w.ts:3:9" }).message;
   * // "Potential deadlock: workflow 'spin' ran synchronous code longer than 100 ms and was interrupted at /app/w.ts:3:9"
   * ```
   */
  static facts(timeoutMs: number, phase: DeadlockPhase, cause?: unknown, details: DeadlockDetails = {}): ErrorFacts {
    const who = details.workflow === undefined ? "the workflow" : `workflow '${details.workflow}'`;
    const during = details.during === undefined ? "" : ` (${details.during})`;
    const at = details.location === undefined ? "" : ` at ${details.location}`;
    const named = details.workflow !== undefined || details.location !== undefined || details.during !== undefined;
    if (phase === "synchronous") {
      return {
        code: "WFS_DEADLOCK",
        message: named
          ? `Potential deadlock: ${who} ran synchronous code${during} longer than ${timeoutMs} ms and was interrupted${at}`
          : `Potential deadlock: the workflow's synchronous code ran longer than ${timeoutMs} ms and was interrupted`,
        hint: "Look for a loop that never yields; move long computations to an activity, or raise " +
          "deadlockTimeoutMs (debugMode turns the guard off)",
        cause,
      };
    }
    return {
      code: "WFS_DEADLOCK",
      message: named
        ? `Potential deadlock: the microtasks of ${who}${during} kept it busy longer than ${timeoutMs} ms and were interrupted${at}`
        : `Potential deadlock: the workflow's microtasks kept the activation busy longer than ${timeoutMs} ms`,
      hint: "Look for a promise chain or a loop after an await that never reaches a durable wait (a timer, an " +
        "activity, a condition); move long computations to an activity, or raise deadlockTimeoutMs",
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
export function deadlockError(timeoutMs: number, phase: DeadlockPhase, cause?: unknown, details: DeadlockDetails = {}): DeadlockError {
  const fields: Record<string, unknown> = { timeoutMs, phase };
  if (details.workflow !== undefined) fields.workflow = details.workflow;
  if (details.location !== undefined) fields.location = details.location;
  return codedError(DeadlockError, DeadlockError.facts(timeoutMs, phase, cause, details), fields) as DeadlockError;
}
