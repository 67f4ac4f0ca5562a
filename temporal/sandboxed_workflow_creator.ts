/**
 * The adapter's `WorkflowCreator` (@temporalio/worker `lib/workflow/interface.d.ts`): what
 * `VMWorkflowCreator` and `ReusableVMWorkflowCreator` are to Temporal's worker, over sandboxed runs
 * instead of vm contexts.
 * @module
 */
import type { Workflow, WorkflowCreateOptions, WorkflowCreator } from "@temporalio/worker/lib/workflow/interface.js";
import { codedError } from "../sandbox/coded_error.ts";
import { getTimeOfDay } from "./_host_sdk.ts";
import { SandboxedWorkflow } from "./_sandboxed_workflow.ts";
import { claimRejectionHandler } from "./_unhandled_rejections.ts";
import { WorkflowRuntime, type WorkflowRuntimeOptions } from "./_workflow_runtime.ts";

/**
 * Options of {@link SandboxedWorkflowCreator.create}.
 *
 * @example
 * ```ts
 * import type { SandboxedWorkflowCreatorOptions } from "workflow-sandbox/temporal";
 * const options: SandboxedWorkflowCreatorOptions = { workflowsPath: "/app/workflows.ts", isolateExecutionTimeoutMs: 5000 };
 * ```
 */
export interface SandboxedWorkflowCreatorOptions extends WorkflowRuntimeOptions {
  /**
   * Interrupt a call into a workflow after this many milliseconds (`WorkerOptions.isolateExecutionTimeout`).
   * Its synchronous code is interrupted; microtasks that run past the limit fail the activation
   * when they end. 0 or undefined: no limit.
   * @default undefined
   */
  readonly isolateExecutionTimeoutMs?: number;
  /** Activity names of the worker, for the SDK's unknown-activity check. @default none */
  readonly registeredActivityNames?: ReadonlySet<string>;
  /** `WorkerOptions.patchActivationCallback`, already wrapped as the worker wraps it. */
  readonly patchActivationCallback?: (info: unknown, patchId: string) => boolean;
  /** A runtime already prepared with these options (the worker prepares it to compute the Build ID). */
  readonly runtime?: WorkflowRuntime;
}

// The SDK reads the source map only to attach sources to enhanced stack traces, which need promise
// hooks this adapter does not install.
const NO_SOURCE_MAP = Object.freeze({ version: 3, sources: [], names: [], mappings: "", sourcesContent: [] });

/**
 * The deadline of calls into workflows. Temporal's debugMode (and so `runReplayHistories`) sets
 * 4294967295 ms to mean "no limit"; a vm timeout that long interrupts nothing and costs a watchdog
 * thread per call, so limits of 2^31 ms (24 days) and more are no deadline at all.
 */
function deadlineOf(timeoutMs: number | undefined): number | undefined {
  return timeoutMs && timeoutMs < 2 ** 31 ? timeoutMs : undefined;
}

/**
 * Creates Temporal workflows in the sandbox.
 *
 * @example
 * ```ts
 * import { SandboxedWorkflowCreator } from "workflow-sandbox/temporal";
 * const creator = await SandboxedWorkflowCreator.create({
 *   workflowsPath: new URL("./workflows.ts", import.meta.url).pathname,
 *   isolateExecutionTimeoutMs: 5000,
 * });
 * // creator.createWorkflow(options) is what Temporal's worker calls for each new execution
 * await creator.destroy();
 * ```
 */
export class SandboxedWorkflowCreator implements WorkflowCreator {
  /** The shared runtime (tests and the benchmark read its shared module list). */
  readonly runtime: WorkflowRuntime;
  readonly #options: SandboxedWorkflowCreatorOptions;
  readonly #workflows = new Map<string, SandboxedWorkflow>();
  readonly #releaseRejections: () => void;
  /**
   * Whether one execution's `initRuntime` (the import of the workflow's modules and the interceptor
   * factories) completed under the deadline. Every execution imports the same code, so later imports
   * run without the vm timeout, whose watchdog thread per call measured 0.2 to 0.5 ms, more than the
   * rest of a sandboxed execution. Activations always run under the deadline.
   */
  #importCompleted = false;
  #destroyed = false;

  private constructor(runtime: WorkflowRuntime, options: SandboxedWorkflowCreatorOptions) {
    this.runtime = runtime;
    this.#options = options;
    this.#releaseRejections = claimRejectionHandler();
  }

  /** Prepares the runtime (unless given one) and returns a creator over it. */
  static async create(options: SandboxedWorkflowCreatorOptions): Promise<SandboxedWorkflowCreator> {
    const runtime = options.runtime ?? await WorkflowRuntime.prepare(options);
    return new SandboxedWorkflowCreator(runtime, options);
  }

  /** Executions created and not yet disposed. */
  get size(): number {
    return this.#workflows.size;
  }

  async createWorkflow(options: WorkflowCreateOptions): Promise<Workflow> {
    if (this.#destroyed) {
      throw codedError(Error, {
        code: "WFS_WORKER_STATE",
        message: `Cannot create a workflow (run '${options.info.runId}') as this SandboxedWorkflowCreator was destroyed`,
        hint: "Create workflows before destroy(), or create a new SandboxedWorkflowCreator",
      });
    }
    const runId = options.info.runId;
    const workflow = new SandboxedWorkflow(
      this.runtime,
      this.runtime.createRun(options.info.workflowType),
      runId,
      deadlineOf(this.#options.isolateExecutionTimeoutMs),
      this.#workflows,
    );
    this.#workflows.set(runId, workflow);
    try {
      await workflow.initialize({
        ...options,
        sourceMap: NO_SOURCE_MAP,
        getTimeOfDay,
        registeredActivityNames: new Set(this.#options.registeredActivityNames ?? []),
        stackTracesEnabled: false,
        patchActivationCallback: this.#options.patchActivationCallback,
      }, !this.#importCompleted);
      this.#importCompleted = true;
    } catch (error) {
      this.#workflows.delete(runId);
      throw error;
    }
    return workflow as unknown as Workflow;
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    try {
      this.runtime.destroy();
    } finally {
      this.#releaseRejections();
    }
  }
}
