/**
 * The client: start workflows, wait for results, signal, query, cancel, terminate, describe, and
 * fetch histories. Every value goes through the environment's payload converter.
 * @module
 */
import { z } from "zod";
import { workflowBrand } from "../sandbox/workflow_definition.ts";
import { codedError } from "../sandbox/coded_error.ts";
import { invalidOption, parseOptions } from "./_options.ts";
import type { HistoryService } from "./_history_service.ts";
import { WorkflowFailedError, WorkflowNotFoundError } from "./client_errors.ts";
import { CancelledFailure, type FailureData, type RetryState, TerminatedFailure } from "./failure.ts";
import { failureToError } from "./failure_converter.ts";
import type { ExecutionRef, HistoryEvent } from "./history_store.ts";
import { type Payload, toPayloads } from "./payload_converter.ts";
import type { QueryDefinition, SignalDefinition } from "./workflow_handlers.ts";
import type { WorkflowHistory } from "./workflow_history.ts";

/**
 * A workflow to start: its type name, or the function or class `workflow.defn` marked.
 *
 * @example
 * ```ts
 * import type { WorkflowReference } from "./workflow_client.ts";
 * const byName: WorkflowReference = "greet";
 * ```
 */
export type WorkflowReference = string | ((...args: any[]) => unknown) | (abstract new (...args: any[]) => unknown);

/**
 * Options of {@linkcode WorkflowClient.startWorkflow}.
 *
 * @example
 * ```ts
 * import type { StartWorkflowOptions } from "./workflow_client.ts";
 * const options: StartWorkflowOptions = { id: "order-42", taskQueue: "orders", args: [42] };
 * ```
 */
export interface StartWorkflowOptions {
  /** The workflow id (or `workflowId`, Temporal TypeScript's name). */
  readonly id?: string;
  readonly workflowId?: string;
  readonly taskQueue: string;
  /** @default [] */
  readonly args?: readonly unknown[];
  /**
   * Makes a retried start take effect once (Temporal's `request_id`): a start with the request id
   * of an earlier start of this workflow id creates no run and returns a handle on the run the
   * earlier one created, even from another process, even after that run closed, as long as the
   * store keeps it (docs/deploying.md, "Request ids"). Keep the id with the work that asked for
   * the start (a database row, a message id) and pass the same one on every retry.
   * @default none: a start of a running workflow id fails with WorkflowExecutionAlreadyStartedError
   */
  readonly requestId?: string;
}

const requestIdSchema = z.string().min(1).max(255);
const startSchema = z.object({
  id: z.string().min(1).optional(),
  workflowId: z.string().min(1).optional(),
  taskQueue: z.string().min(1),
  args: z.array(z.unknown()).optional(),
  requestId: requestIdSchema.optional(),
}).strict();

/**
 * Options of {@linkcode WorkflowHandle.signalWithOptions}.
 *
 * @example
 * ```ts
 * import type { SignalOptions } from "./workflow_client.ts";
 * const options: SignalOptions = { args: ["ada"], requestId: "approval-7f3c" };
 * ```
 */
export interface SignalOptions {
  /** @default [] */
  readonly args?: readonly unknown[];
  /**
   * Makes a retried signal take effect once: once the workflow has a signal with this request id,
   * a retry succeeds without recording it again (even from another process, even after the run
   * closed), as long as the store keeps the run.
   */
  readonly requestId?: string;
}

const signalSchema = z.object({ args: z.array(z.unknown()).optional(), requestId: requestIdSchema.optional() }).strict();

/**
 * Options of {@linkcode WorkflowHandle.cancel}.
 *
 * @example
 * ```ts
 * import type { CancelOptions } from "./workflow_client.ts";
 * const options: CancelOptions = { requestId: "cancel-order-42" };
 * ```
 */
export interface CancelOptions {
  /** As {@linkcode SignalOptions.requestId}, for the cancellation request. */
  readonly requestId?: string;
}

const cancelSchema = z.object({ requestId: requestIdSchema.optional() }).strict();

/**
 * The name of a workflow execution status, as Temporal spells it.
 *
 * @example
 * ```ts
 * import type { WorkflowExecutionStatusName } from "./workflow_client.ts";
 * const done: WorkflowExecutionStatusName = "COMPLETED";
 * ```
 */
export type WorkflowExecutionStatusName = "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED" | "TERMINATED" | "CONTINUED_AS_NEW";

/**
 * What `handle.describe()` returns. `taskFailure` is set while the workflow task keeps failing
 * (the workflow is still running; fix the code and restart the worker).
 *
 * @example
 * ```ts
 * import type { WorkflowExecutionDescription } from "./workflow_client.ts";
 * const stuck = (d: WorkflowExecutionDescription) => d.status.name === "RUNNING" && d.taskFailure !== undefined;
 * ```
 */
export interface WorkflowExecutionDescription {
  readonly workflowId: string;
  readonly runId: string;
  readonly type: string;
  readonly taskQueue: string;
  readonly status: { readonly name: WorkflowExecutionStatusName };
  readonly startTime: Date;
  readonly closeTime?: Date;
  readonly historyLength: number;
  readonly taskFailure?: {
    readonly attempt: number;
    readonly message: string;
    readonly nextAttemptTime: Date;
    /** The workflow source position of the failure, `file:line:col`, when known. */
    readonly location?: string;
    /** The error's name. */
    readonly type?: string;
    /** The error's stable code (`WFS_RESTRICTED`, `WFS_NON_ERROR_THROWN`, ...), when it has one. */
    readonly code?: string;
  };
}

/**
 * A handle on a workflow id (and optionally one run).
 *
 * @example
 * ```ts
 * import type { WorkflowHandle } from "./workflow_client.ts";
 * async function approve(handle: WorkflowHandle<string>) {
 *   await handle.signal("approve", "ada");
 *   return await handle.result();
 * }
 * ```
 */
export class WorkflowHandle<R = unknown> {
  readonly workflowId: string;
  /** The run this handle is bound to; undefined targets the latest run. */
  readonly runId: string | undefined;
  /** The run `startWorkflow` created (`result()` follows continue-as-new from there). */
  readonly firstExecutionRunId: string | undefined;
  readonly #service: HistoryService;

  /** @internal Use `client.startWorkflow()` or `client.getHandle()`. */
  constructor(service: HistoryService, workflowId: string, runId?: string, firstExecutionRunId?: string) {
    this.#service = service;
    this.workflowId = workflowId;
    this.runId = runId;
    this.firstExecutionRunId = firstExecutionRunId;
  }

  get #ref(): ExecutionRef {
    return this.runId === undefined ? { workflowId: this.workflowId } : { workflowId: this.workflowId, runId: this.runId };
  }

  /**
   * Waits for the workflow's result, following continue-as-new. Rejects with
   * `WorkflowFailedError` when it fails, is cancelled or is terminated.
   *
   * @example
   * ```ts
   * import type { WorkflowHandle } from "./workflow_client.ts";
   * declare const handle: WorkflowHandle<string>;
   * const greeting = await handle.result();
   * ```
   */
  async result(): Promise<R> {
    let runId = this.runId ?? this.firstExecutionRunId;
    for (;;) {
      const ref = runId === undefined ? { workflowId: this.workflowId } : { workflowId: this.workflowId, runId };
      const info = await this.#service.waitForClose(ref);
      const [last] = await this.#service.store.readEvents(info, { afterEventId: info.lastEventId - 1 });
      const converter = this.#service.converter;
      switch (last?.type) {
        case "WorkflowExecutionCompleted":
          return converter.fromPayload(last.result as Payload) as R;
        case "WorkflowExecutionFailed":
          throw workflowFailed("Workflow execution failed", failureToError(last.failure as FailureData, converter), "NON_RETRYABLE_FAILURE");
        case "WorkflowExecutionCanceled":
          throw workflowFailed("Workflow execution cancelled", new CancelledFailure("Workflow cancelled"), "CANCEL_REQUESTED");
        case "WorkflowExecutionTerminated":
          throw workflowFailed("Workflow execution terminated", new TerminatedFailure(String(last.reason ?? "Terminated")), "UNSPECIFIED");
        case "WorkflowExecutionContinuedAsNew":
          runId = String(last.newExecutionRunId);
          continue;
        default:
          throw codedError(Error, {
            code: "WFS_HISTORY_INVALID",
            message: `Workflow '${this.workflowId}' closed without a closing event (last event: ${last?.type})`,
            hint: "Check the history store for damage: a closed workflow's last event closes it",
          });
      }
    }
  }

  /**
   * Sends a signal (recorded in history before this resolves).
   *
   * @example
   * ```ts
   * import type { WorkflowHandle } from "./workflow_client.ts";
   * declare const handle: WorkflowHandle;
   * await handle.signal("approve", "ada");
   * ```
   */
  async signal<Args extends any[]>(signal: string | SignalDefinition<Args>, ...args: Args): Promise<void> {
    const name = typeof signal === "string" ? signal : signal.name;
    await this.#service.signalWorkflow(this.#ref, name, toPayloads(this.#service.converter, args));
  }

  /**
   * Sends a signal with options: `requestId` makes a retry of the call (after a timeout, a crash of
   * the calling process) deliver it once.
   *
   * @example
   * ```ts
   * import type { WorkflowHandle } from "./workflow_client.ts";
   * declare const handle: WorkflowHandle;
   * await handle.signalWithOptions("approve", { args: ["ada"], requestId: "approval-7f3c" });
   * ```
   */
  async signalWithOptions(signal: string | SignalDefinition<any[]>, options: SignalOptions): Promise<void> {
    const parsed = parseOptions(signalSchema, options, "handle.signalWithOptions()");
    const name = typeof signal === "string" ? signal : signal.name;
    await this.#service.signalWorkflow(this.#ref, name, toPayloads(this.#service.converter, parsed.args ?? []), parsed.requestId);
  }

  /**
   * Asks a query handler; nothing is recorded. A worker of the workflow's task queue must run in
   * this environment.
   *
   * @example
   * ```ts
   * import type { WorkflowHandle } from "./workflow_client.ts";
   * declare const handle: WorkflowHandle;
   * const status = await handle.query<string>("status");
   * ```
   */
  async query<T = unknown, Args extends any[] = any[]>(query: string | QueryDefinition<T, Args>, ...args: Args): Promise<T> {
    const name = typeof query === "string" ? query : query.name;
    const converter = this.#service.converter;
    const payload = await this.#service.query(this.#ref, name, toPayloads(converter, args));
    return converter.fromPayload(payload) as T;
  }

  /**
   * Requests cancellation: the workflow's pending timers, conditions and activities reject with
   * `CancelledFailure`, and it ends as cancelled if it lets that escape.
   *
   * @example
   * ```ts
   * import type { WorkflowHandle } from "./workflow_client.ts";
   * declare const handle: WorkflowHandle;
   * await handle.cancel();
   * await handle.cancel({ requestId: "cancel-order-42" }); // a retry: changes nothing
   * ```
   */
  async cancel(options: CancelOptions = {}): Promise<void> {
    const parsed = parseOptions(cancelSchema, options, "handle.cancel()");
    await this.#service.requestCancel(this.#ref, parsed.requestId);
  }

  /**
   * Ends the workflow at once, without running any more of its code.
   *
   * @example
   * ```ts
   * import type { WorkflowHandle } from "./workflow_client.ts";
   * declare const handle: WorkflowHandle;
   * await handle.terminate("stuck on bad data");
   * ```
   */
  async terminate(reason = "Terminated"): Promise<void> {
    await this.#service.terminate(this.#ref, reason);
  }

  /**
   * Describes the run: status, times, history length, and the last workflow task failure.
   *
   * @example
   * ```ts
   * import type { WorkflowHandle } from "./workflow_client.ts";
   * declare const handle: WorkflowHandle;
   * const { status, taskFailure } = await handle.describe();
   * ```
   */
  async describe(): Promise<WorkflowExecutionDescription> {
    const store = this.#service.store;
    const info = await store.getExecution(this.#ref);
    if (info === undefined) throw notFound(this.workflowId, this.runId);
    let name: WorkflowExecutionStatusName = STATUS[info.status];
    if (info.status === "failed") {
      const [last] = await store.readEvents(info, { afterEventId: info.lastEventId - 1 });
      if (last?.type === "WorkflowExecutionCanceled") name = "CANCELLED";
    }
    const failure = info.taskFailure;
    const details = (failure?.details ?? {}) as { location?: unknown; type?: unknown; code?: unknown };
    return {
      workflowId: info.workflowId,
      runId: info.runId,
      type: info.workflowType,
      taskQueue: info.taskQueue,
      status: { name },
      startTime: new Date(info.startTime),
      ...(info.closeTime === undefined ? {} : { closeTime: new Date(info.closeTime) }),
      historyLength: info.lastEventId,
      ...(failure === undefined ? {} : {
        taskFailure: {
          attempt: failure.attempt,
          message: failure.message,
          nextAttemptTime: new Date(failure.nextAttemptAt),
          ...(typeof details.location === "string" ? { location: details.location } : {}),
          ...(typeof details.type === "string" ? { type: details.type } : {}),
          ...(typeof details.code === "string" ? { code: details.code } : {}),
        },
      }),
    };
  }

  /**
   * The run's history, as JSON (save it and replay it with `Replayer.replayWorkflow`).
   *
   * @example
   * ```ts
   * import { writeFileSync } from "node:fs";
   * import type { WorkflowHandle } from "./workflow_client.ts";
   * declare const handle: WorkflowHandle;
   * writeFileSync("order.json", JSON.stringify(await handle.fetchHistory()));
   * ```
   */
  async fetchHistory(): Promise<WorkflowHistory> {
    const store = this.#service.store;
    const info = await store.getExecution(this.#ref);
    if (info === undefined) throw notFound(this.workflowId, this.runId);
    const events: HistoryEvent[] = await store.readEvents(info);
    return { workflowId: info.workflowId, runId: info.runId, events };
  }
}

const STATUS: Record<string, WorkflowExecutionStatusName> = {
  running: "RUNNING",
  completed: "COMPLETED",
  failed: "FAILED",
  "continued-as-new": "CONTINUED_AS_NEW",
  terminated: "TERMINATED",
};

function notFound(workflowId: string, runId: string | undefined): Error {
  return codedError(WorkflowNotFoundError, {
    code: "WFS_WORKFLOW_NOT_FOUND",
    message: `No workflow '${workflowId}'${runId ? ` with run '${runId}'` : ""} exists in this environment's store`,
    hint: WorkflowNotFoundError.HINT,
  }, { workflowId, runId });
}

function workflowFailed(message: string, cause: Error, retryState: RetryState): WorkflowFailedError {
  return codedError(WorkflowFailedError, { code: "WFS_WORKFLOW_FAILED", message, hint: WorkflowFailedError.HINT, cause }, { retryState });
}

/**
 * The client of a `WorkflowEnvironment` (`env.client`).
 *
 * @example
 * ```ts
 * import { WorkflowEnvironment } from "workflow-sandbox";
 * const env = await WorkflowEnvironment.startLocal();
 * const handle = await env.client.startWorkflow("greet", { id: "greet-1", taskQueue: "hello", args: ["Ada"] });
 * await env.teardown();
 * ```
 */
export class WorkflowClient {
  readonly #service: HistoryService;
  /** Temporal TypeScript's `client.workflow.start / execute / getHandle`. */
  readonly workflow: {
    start: WorkflowClient["startWorkflow"];
    execute: WorkflowClient["executeWorkflow"];
    getHandle: WorkflowClient["getHandle"];
  };

  /** @internal Use `env.client`. */
  constructor(service: HistoryService) {
    this.#service = service;
    this.workflow = Object.freeze({
      start: this.startWorkflow.bind(this),
      execute: this.executeWorkflow.bind(this),
      getHandle: this.getHandle.bind(this),
    });
  }

  /**
   * Starts a workflow; resolves once its start is recorded.
   *
   * @example
   * ```ts
   * import { WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal();
   * const handle = await env.client.startWorkflow("greet", { id: "greet-1", taskQueue: "hello", args: ["Ada"] });
   * console.log(handle.firstExecutionRunId);
   * await env.teardown();
   * ```
   */
  async startWorkflow<R = unknown>(workflow: WorkflowReference, options: StartWorkflowOptions): Promise<WorkflowHandle<R>> {
    const parsed = parseOptions(startSchema, options, "client.startWorkflow()");
    const workflowId = parsed.id ?? parsed.workflowId;
    if (workflowId === undefined) {
      throw invalidOption(
        "Missing option 'id' of client.startWorkflow(): every workflow needs an id",
        "Set 'id', e.g. { id: 'order-42' }",
        "id",
      );
    }
    const workflowType = workflowTypeOf(workflow);
    const args = toPayloads(this.#service.converter, parsed.args ?? []);
    const info = await this.#service.startWorkflow({
      workflowId,
      workflowType,
      taskQueue: parsed.taskQueue,
      args,
      ...(parsed.requestId === undefined ? {} : { requestId: parsed.requestId }),
    });
    return new WorkflowHandle<R>(this.#service, workflowId, undefined, info.runId);
  }

  /**
   * Starts a workflow and waits for its result.
   *
   * @example
   * ```ts
   * import { WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal();
   * // with a worker running on "hello":
   * // const greeting = await env.client.executeWorkflow("greet", { id: "greet-1", taskQueue: "hello", args: ["Ada"] });
   * await env.teardown();
   * ```
   */
  async executeWorkflow<R = unknown>(workflow: WorkflowReference, options: StartWorkflowOptions): Promise<R> {
    const handle = await this.startWorkflow<R>(workflow, options);
    return handle.result();
  }

  /**
   * A handle on an existing workflow (its latest run without `runId`).
   *
   * @example
   * ```ts
   * import { WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal();
   * const handle = env.client.getHandle("order-42");
   * await env.teardown();
   * ```
   */
  getHandle<R = unknown>(workflowId: string, runId?: string): WorkflowHandle<R> {
    if (typeof workflowId !== "string" || workflowId === "") {
      throw codedError(TypeError, {
        code: "WFS_INVALID_OPTION",
        message: `client.getHandle(workflowId) needs a non-empty string id, got ${workflowId === "" ? "''" : typeof workflowId}`,
        hint: "Pass the id the workflow was started with",
      });
    }
    return new WorkflowHandle<R>(this.#service, workflowId, runId);
  }
}

function workflowTypeOf(workflow: WorkflowReference): string {
  if (typeof workflow === "string" && workflow !== "") return workflow;
  if (typeof workflow === "function") {
    const name = workflowBrand(workflow)?.name ?? workflow.name;
    if (name) return name;
  }
  throw codedError(TypeError, {
    code: "WFS_INVALID_OPTION",
    message: `client.startWorkflow(workflow, ...) takes a workflow type name or a function or class marked with workflow.defn, ` +
      `got ${typeof workflow === "function" ? "an anonymous function" : typeof workflow === "string" ? "''" : typeof workflow}`,
    hint: "Pass the workflow's type name, or the function or class that workflow.defn returned",
  });
}
