/**
 * The runner contract. `SandboxedWorkflowRunner` and `UnsandboxedWorkflowRunner` implement it; the
 * reference worker and the Temporal adapter drive it.
 * @module
 */
import type { WorkflowDefinition } from "./workflow_definition.ts";

/** What a runner needs to create one workflow run. */
export interface WorkflowInstanceDetails {
  readonly definition: WorkflowDefinition;
  /** Host data the worker reaches through the current-run slot (its activation state). */
  readonly host?: unknown;
  /**
   * The run's seed, recorded in history by the engine: each package's stream of deterministic
   * mode is derived from it and the package's name (docs/determinism.md).
   * @default VALIDATION_SEED
   */
  readonly randomnessSeed?: string;
  /**
   * The workflow clock while the run's modules are imported (ms since the epoch): the run's start
   * time from history, so a replay imports at the same time.
   * @default VALIDATION_TIME
   */
  readonly now?: number;
  /**
   * Interrupt the run's modules' top-level code after this many milliseconds (`DeadlockError`).
   * 0 or undefined: no limit.
   */
  readonly deadlockTimeoutMs?: number;
}

/** Options of {@link WorkflowRunner.prepare}. */
export interface PrepareOptions {
  /**
   * Interrupt the validation run's top-level code after this many milliseconds (`DeadlockError`,
   * reported as a `WorkflowValidationError`). 0: no limit.
   * @default 2000
   */
  readonly deadlockTimeoutMs?: number;
}

/** A write the sandbox saw to a shared object during an activation. */
export interface MutationWarning {
  /** `built-in` for the host's intrinsics, else the passed-through module's URL. */
  readonly module: string;
  /** The object and property written, e.g. `Array.prototype.flatten`. */
  readonly property: string;
  readonly change: "added" | "changed" | "deleted";
}

/** The result of an activation. */
export interface ActivationResult<T> {
  /** Each job's return value, in order. */
  readonly results: T[];
  /** Writes to shared objects seen during the activation (empty when the report is off). */
  readonly mutations: readonly MutationWarning[];
}

/** Options of {@link WorkflowInstance.activate}. */
export interface ActivateOptions {
  /**
   * Interrupt the activation after this many milliseconds of running workflow code without
   * yielding: the jobs and every microtask they lead to (`DeadlockError`; the instance cannot
   * run again). Host time between the activation's stretches does not count. 0 or undefined: no
   * limit (debug mode).
   */
  readonly deadlockTimeoutMs?: number;
  /**
   * The activation's time (ms since the epoch, as `workflow.now()` reads it): the workflow clock
   * packages in deterministic mode read from here on. Unset: the clock stays where it was.
   */
  readonly now?: number;
}

/** A job of an activation: runs inside the run with the run's own workflow export. */
export type ActivationJob<T> = (workflow: unknown) => T;

/** One workflow run. */
export interface WorkflowInstance {
  /** The run's own instance of the workflow export. */
  readonly workflow: unknown;
  /**
   * Runs the jobs in order inside the run, then waits until the run is quiescent (microtasks
   * drained, dynamic imports settled). Workflow code of all instances runs one stretch at a time,
   * each stretch with its microtasks.
   */
  activate<T>(jobs: ReadonlyArray<ActivationJob<T>>, options?: ActivateOptions): Promise<ActivationResult<T>>;
  /** Releases the run. */
  dispose(): void;
}

/** A way to run workflows. */
export interface WorkflowRunner {
  /** Validates a definition once, before any run (Python's `prepare_workflow`). */
  prepare(definition: WorkflowDefinition, options?: PrepareOptions): Promise<void>;
  /**
   * Creates a run of a prepared definition. The sandboxed runner evaluates the run's modules (their
   * top-level code) at the start of its first activation, in the same guarded stretch as its jobs,
   * or when `workflow` is first read.
   */
  createInstance(details: WorkflowInstanceDetails): Promise<WorkflowInstance>;
}
