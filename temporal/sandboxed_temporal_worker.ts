/**
 * Temporal's `Worker`, with workflows run in the sandbox: no webpack bundle, no vm contexts.
 *
 * The subclass replaces the two static methods `Worker.create` and `Worker.runReplayHistories`
 * reach through `this` (@temporalio/worker 1.24 `lib/worker.js`):
 * - `getOrCreateBundle`, which otherwise runs webpack before anything else: it prepares the
 *   sandbox runtime instead and returns a synthetic bundle whose `code` is a hash of the workflow
 *   sources and the SDK versions (the worker derives the default Build ID from `code`);
 * - `createWorkflowCreator`: it returns a {@link SandboxedWorkflowCreator}.
 * These hooks are internal to the SDK, which is why the peer range is pinned.
 * @module
 */
import { type ReplayWorkerOptions, Worker, type WorkerOptions } from "@temporalio/worker";
import type { WorkflowCreator } from "@temporalio/worker/lib/workflow/interface.js";
import type { ReplayHistoriesIterable, ReplayResult } from "@temporalio/worker/lib/replay.js";
import { codedError } from "../sandbox/coded_error.ts";
import { invokePatchActivationCallback } from "./_host_sdk.ts";
import { WorkflowRuntime, type WorkflowRuntimeOptions } from "./_workflow_runtime.ts";
import { SandboxedWorkflowCreator } from "./sandboxed_workflow_creator.ts";
import type { TemporalSandboxOptions } from "./temporal_sandbox_options.ts";

/**
 * `WorkerOptions` plus the sandbox's options.
 *
 * @example
 * ```ts
 * import type { SandboxedTemporalWorkerOptions } from "workflow-sandbox/temporal";
 * const options: SandboxedTemporalWorkerOptions = {
 *   taskQueue: "orders",
 *   workflowsPath: "/app/workflows.ts",
 *   sandbox: { bundlerResolution: true },
 * };
 * ```
 */
export type SandboxedTemporalWorkerOptions = WorkerOptions & { readonly sandbox?: TemporalSandboxOptions };

/**
 * `ReplayWorkerOptions` plus the sandbox's options.
 *
 * @example
 * ```ts
 * import type { SandboxedReplayWorkerOptions } from "workflow-sandbox/temporal";
 * const options: SandboxedReplayWorkerOptions = { workflowsPath: "/app/workflows.ts", sandbox: { bundlerResolution: true } };
 * ```
 */
export type SandboxedReplayWorkerOptions = ReplayWorkerOptions & { readonly sandbox?: TemporalSandboxOptions };

// deno-lint-ignore no-explicit-any
type Any = any;
// deno-lint-ignore no-explicit-any
type CompiledOptions = any;
// deno-lint-ignore no-explicit-any
type Logger = any;

/** The synthetic bundle: what the worker reads of a bundle (`code` for the Build ID). */
interface SyntheticBundle {
  readonly code: string;
  readonly sourceMap: string;
  readonly filename: string;
}

// The runtime a bundle was prepared with, handed from getOrCreateBundle to createWorkflowCreator.
const runtimes = new WeakMap<SyntheticBundle, WorkflowRuntime>();

/**
 * A Temporal worker whose workflows run in workflow-sandbox: each execution gets fresh instances
 * of the workflow's modules and its own global object, and the SDK's workflow runtime is loaded
 * once per worker, without webpack. Options are Temporal's, plus `sandbox`.
 *
 * @example
 * ```ts
 * import { NativeConnection } from "@temporalio/worker";
 * import { SandboxedTemporalWorker } from "workflow-sandbox/temporal";
 * import * as activities from "./activities.ts";
 *
 * const worker = await SandboxedTemporalWorker.create({
 *   connection: await NativeConnection.connect({ address: "localhost:7233" }),
 *   taskQueue: "orders",
 *   workflowsPath: new URL("./workflows.ts", import.meta.url).pathname,
 *   activities,
 *   sandbox: { bundlerResolution: true },
 * });
 * await worker.run();
 * ```
 */
export class SandboxedTemporalWorker extends Worker {
  /** Creates a worker (Temporal's `Worker.create`, with `sandbox` options). */
  static override create(options: SandboxedTemporalWorkerOptions): Promise<SandboxedTemporalWorker> {
    return super.create(options) as Promise<SandboxedTemporalWorker>;
  }

  /** Replays one history (Temporal's `Worker.runReplayHistory`, with `sandbox` options). */
  static override runReplayHistory(options: SandboxedReplayWorkerOptions, history: unknown, workflowId?: string): Promise<void> {
    return super.runReplayHistory(options, history, workflowId);
  }

  /** Replays histories (Temporal's `Worker.runReplayHistories`, with `sandbox` options). */
  static override runReplayHistories(
    options: SandboxedReplayWorkerOptions,
    histories: ReplayHistoriesIterable,
  ): AsyncIterableIterator<ReplayResult> {
    return super.runReplayHistories(options, histories);
  }

  protected static override async getOrCreateBundle(compiledOptions: CompiledOptions, logger: Logger): Promise<Any> {
    if (compiledOptions.workflowBundle) {
      throw codedError(TypeError, {
        code: "WFS_INVALID_OPTION",
        message: "SandboxedTemporalWorker loads workflows from 'workflowsPath', but 'workflowBundle' was given: a " +
          "webpack bundle cannot run in the sandbox",
        hint: "Pass 'workflowsPath' instead, or use Worker from @temporalio/worker for a prebuilt bundle",
      }, { option: "workflowBundle" });
    }
    if (!compiledOptions.workflowsPath) return undefined;
    const started = performance.now();
    const runtime = await WorkflowRuntime.prepare(runtimeOptions(compiledOptions));
    logger.info("Workflow sandbox prepared", {
      workflowsPath: compiledOptions.workflowsPath,
      sharedModules: runtime.sharedModules.size,
      ms: Math.round(performance.now() - started),
    });
    const bundle: SyntheticBundle = {
      code: runtime.sourcesHash,
      sourceMap: "",
      filename: `workflow-sandbox:${compiledOptions.workflowsPath}`,
    };
    runtimes.set(bundle, runtime);
    return bundle;
  }

  protected static override async createWorkflowCreator(
    bundle: Any,
    compiledOptions: CompiledOptions,
    _logger: Logger,
  ): Promise<WorkflowCreator> {
    const callback = compiledOptions.patchActivationCallback;
    return await SandboxedWorkflowCreator.create({
      ...runtimeOptions(compiledOptions),
      runtime: runtimes.get(bundle),
      isolateExecutionTimeoutMs: compiledOptions.isolateExecutionTimeoutMs,
      registeredActivityNames: new Set(compiledOptions.activities.keys()),
      patchActivationCallback: callback === undefined
        ? undefined
        : (info, patchId) => invokePatchActivationCallback(callback, info, patchId),
    });
  }
}

function runtimeOptions(compiledOptions: CompiledOptions): WorkflowRuntimeOptions {
  return {
    workflowsPath: compiledOptions.workflowsPath,
    interceptorModules: compiledOptions.interceptors?.workflowModules,
    payloadConverterPath: compiledOptions.dataConverter?.payloadConverterPath,
    failureConverterPath: compiledOptions.dataConverter?.failureConverterPath,
    preloadModules: compiledOptions.bundlerOptions?.preloadModules,
    sandbox: compiledOptions.sandbox,
  };
}
