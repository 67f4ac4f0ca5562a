/**
 * Options of `Worker.create()`, validated with zod: an invalid option fails `Worker.create()` with
 * an error that names it (`WFS_INVALID_OPTION`).
 * @module
 */
import { z } from "zod";
import type { WorkflowRunner } from "../sandbox/workflow_runner.ts";
import type { ErrorTypeEntry } from "./_error_types.ts";
import { type Duration, isDuration } from "./_duration.ts";
import type { Logger } from "./logger.ts";
import type { DeterminismOptions } from "../sandbox/determinism_policy.ts";
import { determinismSchema } from "./_determinism_option.ts";

/**
 * Options of `Worker.create(env, options)` (Temporal's names; Python's where TypeScript has
 * none).
 *
 * @example
 * ```ts
 * import type { WorkerOptions } from "./worker_options.ts";
 * const options: WorkerOptions = {
 *   taskQueue: "orders",
 *   workflowsPath: new URL("./workflows.ts", import.meta.url),
 *   activities: { charge: async (orderId: string) => `charged ${orderId}` },
 * };
 * ```
 */
export interface WorkerOptions {
  /** The task queue this worker polls for workflow and activity tasks. */
  readonly taskQueue: string;
  /** The module exporting the workflows (marked with `workflow.defn`). */
  readonly workflowsPath?: string | URL;
  /** Activity functions by name. */
  readonly activities?: Readonly<Record<string, (...args: any[]) => unknown>>;
  /**
   * Runs workflows of sandboxed definitions.
   * @default new SandboxedWorkflowRunner()
   */
  readonly workflowRunner?: WorkflowRunner;
  /**
   * Runs definitions marked `sandboxed: false`.
   * @default new UnsandboxedWorkflowRunner()
   */
  readonly unsandboxedWorkflowRunner?: WorkflowRunner;
  /**
   * Error types that fail the workflow instead of the workflow task (names, classes, or `Symbol.for`
   * brands); adds to each definition's `failureErrorTypes`. `"Error"` makes every error fail the
   * workflow; `"NondeterminismError"` turns restricted accesses and replay mismatches into workflow
   * failures.
   * @default []
   */
  readonly workflowFailureErrorTypes?: readonly ErrorTypeEntry[];
  /**
   * Workflow runs kept in memory between tasks; an evicted run is rebuilt by replaying its history
   * in a fresh sandbox. 0 replays every task from scratch.
   * @default 1000
   */
  readonly maxCachedWorkflows?: number;
  /**
   * Activity attempts this worker runs at once.
   * @default 100
   */
  readonly maxConcurrentActivities?: number;
  /**
   * Workflow code that runs longer than this without yielding (an activation with its microtasks,
   * a handler, module top-level code) is interrupted: its workflow task fails with a
   * `DeadlockError`, the run is rebuilt by replay, and the worker goes on. Only time in workflow
   * code counts. 0 turns detection off.
   * @default 2000
   */
  readonly deadlockTimeoutMs?: number;
  /**
   * Turns deadlock detection off so a debugger can pause workflow code.
   * @default false, or true when the WORKFLOW_SANDBOX_DEBUG environment variable is set
   */
  readonly debugMode?: boolean;
  /**
   * Receives task failures, activity failures and `workflow.logger` lines.
   * @default new DefaultLogger("INFO") (stderr)
   */
  readonly logger?: Logger;
  /**
   * On shutdown, how long running activities may go on, counted from the shutdown request, before
   * their cancellation signal aborts (Temporal's `shutdownGraceTime`). An attempt that ends because
   * of that cancellation is not recorded: it runs again, with the same attempt number, on the next
   * worker. The workflow task in flight always finishes.
   * @default 0 (running activities are cancelled at once)
   */
  readonly shutdownGraceTime?: Duration;
  /**
   * On shutdown, how long to wait for in-flight work at all, counted from the shutdown request
   * (Temporal's `shutdownForceTime`). When it elapses, `run()` rejects with `WFS_SHUTDOWN_FORCED`
   * and what still runs is abandoned: activity attempts are given back for another worker (a late
   * outcome is not recorded), a workflow task keeps its run until the store closes or the process
   * exits. Exit the process after it. Must be longer than `shutdownGraceTime`, so cancelled
   * activities have time to end.
   * @default none: wait until everything in flight has ended
   */
  readonly shutdownForceTime?: Duration;
  /**
   * Signals that shut the worker down while `run()` runs (Temporal's Runtime `shutdownSignals`):
   * the first one shuts every worker listening to it down gracefully and, once this worker has
   * stopped, tears its environment down (so its store is closed and a `SqliteHistoryStore` gives
   * its leases back at once); a further signal while it is shutting down exits the process at
   * once with code 128 + the signal's number. The listeners are removed when `run()` ends. `[]`
   * installs none: call `worker.shutdown()` yourself.
   * @default ["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR2"]
   */
  readonly shutdownSignals?: readonly ShutdownSignal[];
  /**
   * The default runner's determinism policy (docs/determinism.md): strict or deterministic per
   * package and per rule, the time zone and locale packages in deterministic mode see, and the
   * constants of `process.env` (`nodeEnv`, `environment`). Give the replayer the same. Not with
   * `workflowRunner`, whose restrictions carry its own.
   * @default strict for the workflow's package, deterministic for other packages, UTC, "en-US",
   * NODE_ENV "development"
   */
  readonly determinism?: DeterminismOptions;
}

/**
 * The signals a worker may shut down on: those a process can catch on Node and Deno, without
 * SIGUSR1 (Node's inspector) and the ones a process cannot catch (SIGKILL, SIGSTOP).
 *
 * @example
 * ```ts
 * import { SHUTDOWN_SIGNALS } from "./worker_options.ts";
 * SHUTDOWN_SIGNALS.includes("SIGTERM"); // true
 * ```
 */
export const SHUTDOWN_SIGNALS = ["SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP", "SIGUSR2", "SIGBREAK"] as const;

/**
 * A signal that shuts a worker down: a row of {@linkcode SHUTDOWN_SIGNALS}.
 *
 * @example
 * ```ts
 * import type { ShutdownSignal } from "./worker_options.ts";
 * const signals: ShutdownSignal[] = ["SIGTERM"];
 * ```
 */
export type ShutdownSignal = typeof SHUTDOWN_SIGNALS[number];

/**
 * The signals a worker listens to when `shutdownSignals` is not given: Temporal's Runtime default.
 *
 * @example
 * ```ts
 * import { DEFAULT_SHUTDOWN_SIGNALS } from "./worker_options.ts";
 * DEFAULT_SHUTDOWN_SIGNALS; // ["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR2"]
 * ```
 */
export const DEFAULT_SHUTDOWN_SIGNALS: readonly ShutdownSignal[] = Object.freeze(["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR2"]);

const isFunction = (v: unknown) => typeof v === "function";
const runner = z.custom<WorkflowRunner>(
  (v) => typeof v === "object" && v !== null && isFunction((v as WorkflowRunner).prepare) && isFunction((v as WorkflowRunner).createInstance),
  { error: "expected a WorkflowRunner (an object with prepare() and createInstance())" },
);

/**
 * The zod schema of {@linkcode WorkerOptions}.
 *
 * @example
 * ```ts
 * import { workerOptionsSchema } from "./worker_options.ts";
 * workerOptionsSchema.safeParse({ taskQueue: "" }).success; // false
 * ```
 */
export const workerOptionsSchema = z.object({
  taskQueue: z.string().min(1),
  workflowsPath: z.union([z.string().min(1), z.instanceof(URL)]).optional(),
  activities: z.record(z.string(), z.custom<(...args: any[]) => unknown>(isFunction, { error: "expected a function" })).optional(),
  workflowRunner: runner.optional(),
  unsandboxedWorkflowRunner: runner.optional(),
  workflowFailureErrorTypes: z.array(
    z.custom<ErrorTypeEntry>(
      (v) => (typeof v === "string" && v !== "") || typeof v === "symbol" || (isFunction(v) && typeof (v as { name?: unknown }).name === "string"),
      { error: "expected an error name, an error class or a Symbol.for brand" },
    ),
  ).optional(),
  maxCachedWorkflows: z.number().int().nonnegative().optional(),
  maxConcurrentActivities: z.number().int().positive().optional(),
  deadlockTimeoutMs: z.number().int().nonnegative().optional(),
  debugMode: z.boolean().optional(),
  logger: z.custom<Logger>(
    (v) => typeof v === "object" && v !== null && ["log", "debug", "info", "warn", "error"].every((m) => isFunction((v as Record<string, unknown>)[m])),
    { error: "expected a Logger (log, debug, info, warn, error)" },
  ).optional(),
  shutdownGraceTime: z.custom<Duration>(isDuration, { error: "expected milliseconds or a duration string such as '5s'" }).optional(),
  shutdownForceTime: z.custom<Duration>(isDuration, { error: "expected milliseconds or a duration string such as '30s'" }).optional(),
  shutdownSignals: z.array(z.enum(SHUTDOWN_SIGNALS, { error: `expected a signal name: one of ${SHUTDOWN_SIGNALS.map((s) => `'${s}'`).join(", ")}` })).optional(),
  determinism: determinismSchema.optional(),
}).strict();
