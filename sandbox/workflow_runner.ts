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
   * Interrupt the jobs' synchronous code after this many milliseconds, and fail the activation
   * if its microtasks run past it too (`DeadlockError`). 0 or undefined: no limit (debug mode).
   */
  readonly deadlockTimeoutMs?: number;
}

/** A job of an activation: runs inside the run with the run's own workflow export. */
export type ActivationJob<T> = (workflow: unknown) => T;

/** One workflow run. */
export interface WorkflowInstance {
  /** The run's own instance of the workflow export. */
  readonly workflow: unknown;
  /**
   * Runs the jobs in order inside the run, then waits until the run is quiescent (microtasks
   * drained, dynamic imports settled). Activations of all instances run one at a time.
   */
  activate<T>(jobs: ReadonlyArray<ActivationJob<T>>, options?: ActivateOptions): Promise<ActivationResult<T>>;
  /** Releases the run. */
  dispose(): void;
}

/** A way to run workflows. */
export interface WorkflowRunner {
  /** Validates a definition once, before any run (Python's `prepare_workflow`). */
  prepare(definition: WorkflowDefinition): Promise<void>;
  /** Creates a run of a prepared definition. */
  createInstance(details: WorkflowInstanceDetails): Promise<WorkflowInstance>;
}
