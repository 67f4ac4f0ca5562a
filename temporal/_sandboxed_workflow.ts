/**
 * One workflow execution of the adapter: the SDK's `Workflow` interface
 * (@temporalio/worker `lib/workflow/interface.d.ts`) over a sandboxed run. `activate` follows
 * `BaseVMWorkflow.activate` (`lib/workflow/vm-shared.js`, 1.24) step by step. Where the vm context
 * drains the workflow's microtasks at the end of every call into it
 * (`microtaskMode: 'afterEvaluate'`), a sandboxed run shares the host's microtask queue, so each
 * call is followed by a drain (a macrotask turn) before the next one.
 * @module
 */
import { runExclusive } from "../sandbox/activation_queue.ts";
import { codedError } from "../sandbox/coded_error.ts";
import { enterRun } from "../sandbox/current_run.ts";
import { DeadlockError } from "../sandbox/deadlock_error.ts";
import { runWithDeadline } from "../sandbox/deadlock_guard.ts";
import { hostNow } from "../sandbox/host_intrinsics.ts";
import type { SandboxRun } from "../sandbox/sandbox_run.ts";
import { drain } from "../sandbox/sandboxed_workflow_runner.ts";
import { common, continueAsNew, coresdk, sdkFlags } from "./_host_sdk.ts";
import { ownRejections, type RejectionTarget } from "./_unhandled_rejections.ts";
import type { RuntimeWorkflow, WorkflowRuntime } from "./_workflow_runtime.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
type Activation = Any;
type Completion = Any;

// The fix of an activation that breaks the invariants Temporal's worker checks (vm-shared.js): Core
// sent it, so neither the workflow nor its options are at fault.
const MALFORMED_ACTIVATION = "This activation from Temporal's core is malformed: report it with the whole error and the " +
  "versions of @temporalio/worker and workflow-sandbox";

/** Where a workflow's executions are registered (for tests and diagnostics). */
export interface WorkflowRegistry {
  delete(runId: string): void;
}

/** A workflow execution in the sandbox. */
export class SandboxedWorkflow implements RuntimeWorkflow, RejectionTarget {
  activator: Any;
  readonly run: SandboxRun;
  readonly runId: string;
  readonly #runtime: WorkflowRuntime;
  readonly #timeoutMs: number | undefined;
  readonly #registry: WorkflowRegistry;
  #unhandledRejection: Error | undefined;
  #disposed = false;

  constructor(runtime: WorkflowRuntime, run: SandboxRun, runId: string, timeoutMs: number | undefined, registry: WorkflowRegistry) {
    this.#runtime = runtime;
    this.run = run;
    this.runId = runId;
    this.#timeoutMs = timeoutMs;
    this.#registry = registry;
  }

  /**
   * Runs the SDK's `initRuntime` for this workflow (the creator's `createWorkflow`): it imports
   * the workflow's modules and calls the interceptor factories. `guarded` puts it under the
   * deadline (the creator does so until one import completed, see SandboxedWorkflowCreator).
   */
  initialize(options: object, guarded: boolean): Promise<void> {
    return this.#exclusive(async () => {
      try {
        await this.#call(() => this.#runtime.api.initRuntime(options), guarded);
      } finally {
        this.run.importing = false;
      }
    });
  }

  activate(activation: Activation): Promise<Completion> {
    return this.#exclusive(() => this.#activate(activation));
  }

  getAndResetSinkCalls(): Promise<unknown[]> {
    return Promise.resolve(this.activator.getAndResetSinkCalls());
  }

  dispose(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#disposed) return;
      this.#disposed = true;
      try {
        await this.#call(() => this.#runtime.api.dispose(), this.#hasInternalsInterceptors());
      } finally {
        this.#registry.delete(this.runId);
      }
    });
  }

  /** Fails the next activation steps (called by the unhandled-rejection listener). */
  setUnhandledRejection(error: Error): void {
    if (this.activator) this.activator.workflowTaskError = error;
    this.#unhandledRejection = error;
  }

  async #activate(activation: Activation): Promise<Completion> {
    const api = this.#runtime.api;
    const activator = this.activator;
    try {
      if (!activation.jobs) {
        throw codedError(TypeError, { code: "WFS_INTERNAL", message: "Expected workflow activation jobs to be defined", hint: MALFORMED_ACTIVATION });
      }
      // Core never mixes queries with other jobs in one activation.
      const [queries, nonQueries] = partition(activation.jobs, ({ queryWorkflow }) => queryWorkflow != null);
      if (queries.length > 0) {
        if (nonQueries.length > 0) {
          throw codedError(TypeError, { code: "WFS_INTERNAL", message: "Got both queries and other jobs in a single activation", hint: MALFORMED_ACTIVATION });
        }
        return await this.#activateQueries(activation);
      }
      if (activation.timestamp == null) {
        throw codedError(TypeError, { code: "WFS_INTERNAL", message: "Expected activation.timestamp to be set for non-query activation", hint: MALFORMED_ACTIVATION });
      }
      activator.now = common.tsToMs(activation.timestamp);
      activator.mutateWorkflowInfo((info: Any) => ({
        ...info,
        historyLength: activation.historyLength,
        historySize: activation.historySizeBytes?.toNumber() ?? 0,
        continueAsNewSuggested: activation.continueAsNewSuggested ?? false,
        targetWorkerDeploymentVersionChanged: activation.targetWorkerDeploymentVersionChanged ?? false,
        suggestedContinueAsNewReasons: continueAsNew.suggestContinueAsNewReasonsFromProto(activation.suggestContinueAsNewReasons),
        currentBuildId: activation.deploymentVersionForCurrentTask?.buildId ?? "",
        currentDeploymentVersion: common.convertDeploymentVersion(activation.deploymentVersionForCurrentTask),
        unsafe: {
          ...info.unsafe,
          isReplaying: activation.isReplaying ?? false,
          isReplayingHistoryEvents: activation.isReplaying ?? false,
        },
      }));
      activator.addKnownFlags(activation.availableInternalFlags ?? []);
      if (activation.lastSdkVersion) activator.sdkVersion = activation.lastSdkVersion;

      // Initialization first; the job stays in the list to mark where the workflow function starts.
      const initWorkflowJob = activation.jobs.find((job: Any) => job.initializeWorkflow != null)?.initializeWorkflow;
      if (initWorkflowJob) {
        // Workflow code runs here only through a custom converter or a definition options getter.
        const userCode = this.#runtime.hasCustomConverters || activator.workflowDefinitionOptionsGetter !== undefined;
        await this.#call(() => api.initialize(initWorkflowJob), userCode);
      }

      const hasSignals = activation.jobs.some(({ signalWorkflow }: Any) => signalWorkflow != null);
      const singleBatch = !hasSignals || activator.hasFlag(sdkFlags.ProcessWorkflowActivationJobsAsSingleBatch);
      const [patches, nonPatches] = partition(activation.jobs, ({ notifyHasPatch }) => notifyHasPatch != null);
      for (const { notifyHasPatch } of patches) {
        if (notifyHasPatch == null) {
          throw codedError(TypeError, { code: "WFS_INTERNAL", message: "Expected notifyHasPatch to be set", hint: MALFORMED_ACTIVATION });
        }
        activator.notifyHasPatch(notifyHasPatch);
      }
      if (singleBatch) {
        const [updateRandomSeed, rest] = partition(nonPatches, ({ updateRandomSeed }) => updateRandomSeed != null);
        if (updateRandomSeed.length > 0) activator.updateRandomSeed(updateRandomSeed[updateRandomSeed.length - 1].updateRandomSeed);
        const batch = coresdk.workflow_activation.WorkflowActivation.fromObject({ ...activation, jobs: rest });
        await this.#call(() => api.activate(batch));
        await this.#tryUnblockConditions();
      } else {
        // Signals first, then everything else, microtasks drained after each batch.
        const [signals, nonSignals] = partition(nonPatches, ({ signalWorkflow }) => signalWorkflow != null);
        let batchIndex = 0;
        for (const jobs of [signals, nonSignals]) {
          if (jobs.length === 0) continue;
          const batch = coresdk.workflow_activation.WorkflowActivation.fromObject({ ...activation, jobs });
          const index = batchIndex++;
          await this.#call(() => api.activate(batch, index));
          await this.#tryUnblockConditions();
        }
      }
      const completion = this.#callSync(() => api.concludeActivation(), this.#hasInternalsInterceptors());
      // Microtasks the conclusion queued run now, and a rejection left unhandled is reported.
      await this.#drain();
      if (this.#unhandledRejection) throw this.#unhandledRejection;
      return completion;
    } catch (error) {
      return { runId: activator.info.runId, failed: { failure: activator.errorToFailure(error) } };
    }
  }

  async #activateQueries(activation: Activation): Promise<Completion> {
    this.activator.mutateWorkflowInfo((info: Any) => ({
      ...info,
      unsafe: { ...info.unsafe, isReplaying: true, isReplayingHistoryEvents: false },
    }));
    await this.#call(() => this.#runtime.api.activate(activation));
    return await this.#call(() => this.#runtime.api.concludeActivation(), this.#hasInternalsInterceptors());
  }

  /**
   * Unblocks conditions until none is left, draining microtasks after each call. With no
   * blocked condition the SDK's call only rethrows a pending workflow task error, so that is done
   * here without a call.
   */
  async #tryUnblockConditions(): Promise<void> {
    for (;;) {
      if (this.activator.blockedConditions.size === 0) {
        this.activator.maybeRethrowWorkflowTaskError();
        return;
      }
      const unblocked = await this.#call(() => this.#runtime.api.tryUnblockConditions());
      if (unblocked === 0) break;
    }
  }

  #hasInternalsInterceptors(): boolean {
    return this.activator.interceptors.internals.length > 0;
  }

  /** A call into the workflow, then its microtasks, as one vm `runInContext` call is. */
  async #call<T>(fn: () => T, userCode = true): Promise<T> {
    const started = hostNow();
    const result = this.#callSync(fn, userCode);
    await this.#drain(started);
    return result;
  }

  /**
   * A synchronous call into the workflow. The deadline (a vm timeout: a watchdog thread per call,
   * about 0.2 ms) guards calls that can run workflow code; calls that run only the SDK's own code
   * go without it.
   */
  #callSync<T>(fn: () => T, userCode: boolean): T {
    return runWithDeadline(fn, userCode ? this.#timeoutMs : undefined);
  }

  async #drain(started = hostNow()): Promise<void> {
    await drain(this.run);
    if (this.#timeoutMs && hostNow() - started > this.#timeoutMs) {
      const timeoutMs = this.#timeoutMs;
      throw codedError(DeadlockError, DeadlockError.facts(timeoutMs, "microtasks"), { timeoutMs, phase: "microtasks" as const });
    }
  }

  /** Runs `fn` as this workflow's turn: after every other activation, with this run current. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return runExclusive(async () => {
      this.#runtime.current = this;
      const leaveRun = enterRun(this.run);
      const leaveRejections = ownRejections(this);
      try {
        return await fn();
      } finally {
        leaveRejections();
        leaveRun();
        this.#runtime.current = undefined;
      }
    });
  }
}

function partition(items: readonly Any[], predicate: (item: Any) => boolean): [Any[], Any[]] {
  const yes: Any[] = [];
  const no: Any[] = [];
  for (const item of items) (predicate(item) ? yes : no).push(item);
  return [yes, no];
}
