/**
 * The state machine of one workflow run: the object the worker attaches to the run as its `host`
 * (runner contract), which `workflow.sleep()`, `workflow.now()`, ... reach through the current-run
 * slot. Jobs (start, signal, resolve an activity, fire a timer, cancel) are methods called inside
 * the run's activation; API calls record commands. Everything that enters or leaves goes through
 * the payload converter, so the workflow holds no reference to history or to host objects.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import type { ActivityOptionsData, Command, CommandOrigin } from "./_commands.ts";
import { type ErrorTypeEntry, matchesErrorTypes } from "./_error_types.ts";
import { QueryNotRegisteredError } from "./client_errors.ts";
import { ActivityFailure, CancelledFailure, isCancellation, TemporalFailure } from "./failure.ts";
import { errorToFailure, failureToError } from "./failure_converter.ts";
import type { FailureData } from "./failure.ts";
import type { HistoryEvent } from "./history_store.ts";
import { fromPayloads, type Payload, type PayloadConverter, toPayloads } from "./payload_converter.ts";
import { createRandom } from "./_random.ts";
import { asError } from "./_thrown_value.ts";

const STATE_BRAND = Symbol.for("workflow-sandbox.workflow-run-state");
// Captured at load: workflow code runs between commands and must not change how they are located.
const captureStackTrace = (Error as { captureStackTrace?: (target: object, fn?: Function) => void }).captureStackTrace;
const CONTINUE_AS_NEW_BRAND = Symbol.for("workflow-sandbox.continue-as-new");
/** Brand of the workflow class methods marked by `@workflow.run`, `@workflow.signal`, `@workflow.query`. */
export const WORKFLOW_METHOD = Symbol.for("workflow-sandbox.workflow-method");

/** What a method decorator records on the method. */
export interface WorkflowMethodBrand {
  readonly kind: "run" | "signal" | "query";
  readonly name?: string;
}

/** Identity of a run, from its `WorkflowExecutionStarted` event. */
export interface RunIdentity {
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
  readonly taskQueue: string;
  readonly firstExecutionRunId: string;
  readonly continuedFromExecutionRunId?: string;
  /** The first run's start time (ms). */
  readonly startTime: number;
  /** This run's start time (ms). */
  readonly runStartTime: number;
  readonly attempt: number;
  readonly randomnessSeed: string;
}

/** Log levels of `workflow.logger` and the worker logger. */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

/** Options of {@linkcode WorkflowRunState}. */
export interface WorkflowRunStateOptions {
  readonly identity: RunIdentity;
  readonly converter: PayloadConverter;
  /** Worker-wide and per-definition types that fail the workflow instead of the task. */
  readonly failureTypes: readonly ErrorTypeEntry[];
  /** `"function"` or `"class"` (from the definition's brand). */
  readonly kind: "function" | "class";
  readonly log: (level: LogLevel, message: string, attributes: Record<string, unknown>) => void;
}

interface PendingTimer {
  resolve(): void;
  reject(error: unknown): void;
}

interface PendingActivity {
  readonly activityType: string;
  readonly cancellationType: ActivityOptionsData["cancellationType"];
  cancelRequested: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface BlockedCondition {
  readonly fn: () => unknown;
  resolve(): void;
  reject(error: unknown): void;
}

/** A signal or query handler. */
export type Handler = (...args: any[]) => unknown;

/**
 * The per-run state. Created by the worker (or the replayer) for each run, fresh after an eviction.
 */
export class WorkflowRunState {
  readonly identity: RunIdentity;
  readonly converter: PayloadConverter;
  readonly failureTypes: readonly ErrorTypeEntry[];
  readonly kind: "function" | "class";
  readonly log: WorkflowRunStateOptions["log"];
  /** The current workflow task's start time (`workflow.now()`). */
  now = 0;
  replaying = false;
  /** Set while a query handler runs: commands are refused. */
  inQuery = false;
  /** Events of the run seen by the current task. */
  historyLength = 0;
  /** Set once a completing command (complete, fail, cancel, continue-as-new) was issued. */
  closed = false;
  /**
   * The first error that fails the workflow task (not the workflow); always an error, so that
   * `undefined` means no failure (a thrown non-error is wrapped, see {@linkcode failTask}).
   */
  taskError: Error | undefined = undefined;
  cancelRequested = false;
  /** Patch ids the history being replayed recorded (Temporal's `knownPresentPatches`). */
  readonly knownPatches = new Set<string>();
  readonly signalHandlers = new Map<string, Handler>();
  readonly queryHandlers = new Map<string, Handler>();
  readonly conditions = new Set<BlockedCondition>();
  /** The class workflow's instance, once started. */
  workflowObject: object | undefined;
  started = false;
  readonly #commands: Command[] = [];
  readonly #timers = new Map<number, PendingTimer>();
  readonly #activities = new Map<number, PendingActivity>();
  readonly #patches = new Map<string, boolean>();
  readonly #bufferedSignals: { name: string; args: unknown[] }[] = [];
  readonly #root = new AbortController();
  readonly #random: () => number;
  #timerSeq = 0;
  #activitySeq = 0;

  constructor(options: WorkflowRunStateOptions) {
    this.identity = options.identity;
    this.converter = options.converter;
    this.failureTypes = options.failureTypes;
    this.kind = options.kind;
    this.log = options.log;
    this.#random = createRandom(options.identity.randomnessSeed);
    Object.defineProperty(this, STATE_BRAND, { value: true });
  }

  /** Whether `value` is a run state (from any copy of this package). */
  static is(value: unknown): value is WorkflowRunState {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[STATE_BRAND] === true;
  }

  /** The signal aborted when the workflow's cancellation is requested. */
  get rootSignal(): AbortSignal {
    return this.#root.signal;
  }

  random(): number {
    return this.#random();
  }

  // ---- task bookkeeping (worker side) ----

  beginTask(now: number, replaying: boolean, historyLength: number): void {
    this.now = now;
    this.replaying = replaying;
    this.historyLength = historyLength;
    this.taskError = undefined;
  }

  takeCommands(): Command[] {
    return this.#commands.splice(0);
  }

  pushCommand(command: Command): void {
    if (this.closed) return; // Temporal drops commands issued after the run completed
    if (this.replaying) command.origin = commandOrigin();
    this.#commands.push(command);
    if (
      command.type === "CompleteWorkflow" || command.type === "FailWorkflow" || command.type === "CancelWorkflow" ||
      command.type === "ContinueAsNew"
    ) {
      this.closed = true;
    }
  }

  /**
   * Fails the workflow task with `error`, unless an earlier error already did. A value that is
   * not an error (`throw undefined`, a string, a plain object) becomes a `WFS_NON_ERROR_THROWN`
   * error carrying it as `cause`, so every thrown value fails the task visibly.
   */
  failTask(error: unknown): void {
    if (this.taskError !== undefined) return;
    const { workflowId, workflowType, runId } = this.identity;
    this.taskError = asError(error, `Workflow '${workflowId}' (type '${workflowType}', run '${runId}')`);
  }

  /**
   * Classifies an error thrown by workflow code: a continue-as-new request, a cancellation after
   * the workflow's cancellation was requested, a deliberate failure or a listed failure type end
   * the workflow; anything else fails the workflow task.
   */
  handleError(error: unknown): void {
    if (this.closed) return;
    if (typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[CONTINUE_AS_NEW_BRAND] === true) {
      const request = error as unknown as { workflowType: string; taskQueue: string; args: Payload[] };
      this.pushCommand({ type: "ContinueAsNew", workflowType: request.workflowType, taskQueue: request.taskQueue, args: request.args });
      return;
    }
    if (this.cancelRequested && isCancellation(error)) {
      this.pushCommand({ type: "CancelWorkflow" });
      return;
    }
    if (error instanceof TemporalFailure || matchesErrorTypes(error, this.failureTypes)) {
      let failure: FailureData;
      try {
        failure = errorToFailure(error, this.converter);
      } catch (conversion) {
        this.failTask(conversion);
        return;
      }
      this.pushCommand({ type: "FailWorkflow", failure });
      return;
    }
    this.failTask(error);
  }

  // ---- jobs (run inside the activation) ----

  /** Starts the workflow: constructs the class (and registers its handlers) or calls the function. */
  start(workflow: unknown, args: readonly Payload[]): void {
    this.started = true;
    let result: unknown;
    try {
      const values = fromPayloads(this.converter, args);
      if (typeof workflow !== "function") {
        throw codedError(TypeError, {
          code: "WFS_UNKNOWN_WORKFLOW_TYPE",
          message: `The workflow export of type '${this.identity.workflowType}' is not a function or class (it is ${typeof workflow})`,
          hint: "Export the workflow from the workflowsPath module as a function or class wrapped in workflow.defn",
        });
      }
      if (this.kind === "class") {
        const object = new (workflow as new () => object)();
        this.workflowObject = object;
        const run = this.#registerClassMethods(object);
        result = run.apply(object, values);
      } else {
        result = (workflow as Handler)(...values);
      }
    } catch (error) {
      this.handleError(error);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        if (this.closed) return;
        try {
          this.pushCommand({ type: "CompleteWorkflow", result: this.converter.toPayload(value) });
        } catch (error) {
          this.failTask(error);
        }
      },
      (error) => this.handleError(error),
    );
  }

  signal(name: string, args: readonly Payload[]): void {
    let values: unknown[];
    try {
      values = fromPayloads(this.converter, args);
    } catch (error) {
      this.failTask(error);
      return;
    }
    const handler = this.signalHandlers.get(name);
    if (handler === undefined) {
      // Delivered when a handler for it is set (Temporal buffers signals the same way).
      this.#bufferedSignals.push({ name, args: values });
      return;
    }
    this.#invokeSignal(handler, values);
  }

  /** Records a handler; buffered signals for it are delivered now, in arrival order. */
  setHandler(kind: "signal" | "query", name: string, handler: Handler | undefined): void {
    const handlers = kind === "signal" ? this.signalHandlers : this.queryHandlers;
    if (handler === undefined) {
      handlers.delete(name);
      return;
    }
    handlers.set(name, handler);
    if (kind !== "signal") return;
    for (let i = 0; i < this.#bufferedSignals.length;) {
      const buffered = this.#bufferedSignals[i]!;
      if (buffered.name !== name) {
        i++;
        continue;
      }
      this.#bufferedSignals.splice(i, 1);
      this.#invokeSignal(handler, buffered.args);
    }
  }

  resolveActivity(event: HistoryEvent): void {
    const seq = Number(event.activityId);
    const pending = this.#activities.get(seq);
    if (pending === undefined) return; // abandoned or cancelled with TRY_CANCEL: the late result is ignored
    this.#activities.delete(seq);
    try {
      if (event.type === "ActivityTaskCompleted") {
        pending.resolve(this.converter.fromPayload(event.result as Payload));
      } else if (event.type === "ActivityTaskFailed") {
        pending.reject(failureToError(event.failure as FailureData, this.converter));
      } else {
        pending.reject(activityCancelled(pending.activityType, seq));
      }
    } catch (error) {
      this.failTask(error);
    }
  }

  fireTimer(event: HistoryEvent): void {
    const seq = Number(event.timerId);
    const pending = this.#timers.get(seq);
    if (pending === undefined) return;
    this.#timers.delete(seq);
    pending.resolve();
  }

  requestCancel(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.#root.abort(new CancelledFailure("Workflow cancelled"));
  }

  /** Resolves the conditions that hold now; returns how many. Runs inside an activation. */
  unblockConditions(): number {
    let unblocked = 0;
    for (const condition of this.conditions) {
      let holds: unknown;
      try {
        holds = condition.fn();
      } catch (error) {
        this.conditions.delete(condition);
        condition.reject(error);
        unblocked++;
        continue;
      }
      if (holds) {
        this.conditions.delete(condition);
        condition.resolve();
        unblocked++;
      }
    }
    return unblocked;
  }

  /** Answers a query: converted arguments in, converted result out. */
  query(name: string, args: readonly Payload[]): Payload {
    const handler = this.queryHandlers.get(name);
    if (handler === undefined) {
      const known = [...this.queryHandlers.keys()].map((n) => `'${n}'`).join(", ") || "none";
      throw codedError(QueryNotRegisteredError, {
        code: "WFS_QUERY_NOT_REGISTERED",
        message: `Workflow '${this.identity.workflowId}' (type '${this.identity.workflowType}') has no query handler '${name}' ` +
          `(registered: ${known})`,
        hint: `Add one with @workflow.query or workflow.setHandler(defineQuery('${name}'), fn), or correct the query name`,
      });
    }
    this.inQuery = true;
    try {
      const result = handler(...fromPayloads(this.converter, args));
      if (typeof (result as { then?: unknown })?.then === "function") {
        (result as Promise<unknown>).then(undefined, () => {});
        throw codedError(Error, {
          code: "WFS_QUERY_ASYNC",
          message: `Query handler '${name}' of workflow type '${this.identity.workflowType}' returned a promise: query handlers ` +
            `must be synchronous and must not change the workflow`,
          hint: "Return the value directly",
        });
      }
      return this.converter.toPayload(result);
    } finally {
      this.inQuery = false;
    }
  }

  // ---- API helpers (called by workflow.* inside the run) ----

  startTimer(durationMs: number, signal: AbortSignal): Promise<void> {
    const seq = ++this.#timerSeq;
    if (signal.aborted) return Promise.reject(cancelledBy(signal, "Timer cancelled before it started"));
    return new Promise<void>((resolve, reject) => {
      this.pushCommand({ type: "StartTimer", seq, durationMs: Math.max(1, Math.round(durationMs)) });
      const onAbort = () => {
        if (!this.#timers.has(seq)) return;
        this.#timers.delete(seq);
        this.pushCommand({ type: "CancelTimer", seq });
        reject(cancelledBy(signal, "Timer cancelled"));
      };
      this.#timers.set(seq, {
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      });
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  scheduleActivity(activityType: string, args: readonly unknown[], options: ActivityOptionsData, signal: AbortSignal): Promise<unknown> {
    const seq = ++this.#activitySeq;
    const payloads = toPayloads(this.converter, args);
    if (signal.aborted) return Promise.reject(activityCancelled(activityType, seq));
    return new Promise((resolve, reject) => {
      this.pushCommand({ type: "ScheduleActivity", seq, activityType, args: payloads, options });
      const pending: PendingActivity = {
        activityType,
        cancellationType: options.cancellationType,
        cancelRequested: false,
        resolve: (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        if (this.#activities.get(seq) !== pending || pending.cancelRequested) return;
        if (options.cancellationType !== "ABANDON") this.pushCommand({ type: "RequestCancelActivity", seq });
        if (options.cancellationType === "WAIT_CANCELLATION_COMPLETED") {
          pending.cancelRequested = true; // settles when the activity reports its outcome
          return;
        }
        this.#activities.delete(seq);
        reject(activityCancelled(activityType, seq));
      };
      this.#activities.set(seq, pending);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  condition(fn: () => unknown, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(cancelledBy(signal, "Condition cancelled"));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (!this.conditions.delete(entry)) return;
        reject(cancelledBy(signal, "Condition cancelled"));
      };
      const entry: BlockedCondition = {
        fn,
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      this.conditions.add(entry);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** `workflow.patched()` / `workflow.deprecatePatch()`: the answer is memoized per run. */
  patch(patchId: string, deprecated: boolean): boolean {
    const known = this.#patches.get(patchId);
    if (known !== undefined) return known;
    const use = !this.replaying || this.knownPatches.has(patchId);
    this.#patches.set(patchId, use);
    if (use) this.pushCommand({ type: "SetPatchMarker", patchId, deprecated });
    return use;
  }

  #invokeSignal(handler: Handler, values: unknown[]): void {
    try {
      const result = handler(...values);
      if (typeof (result as { then?: unknown })?.then === "function") {
        (result as Promise<unknown>).then(undefined, (error) => this.handleError(error));
      }
    } catch (error) {
      this.handleError(error);
    }
  }

  /** Registers a class workflow's decorated signal and query methods; returns its run method. */
  #registerClassMethods(object: object): Handler {
    let run: Handler | undefined;
    let named: Handler | undefined;
    const seen = new Set<string | symbol>();
    for (let proto = Object.getPrototypeOf(object); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Reflect.ownKeys(proto)) {
        if (key === "constructor" || seen.has(key)) continue;
        seen.add(key);
        const value = Object.getOwnPropertyDescriptor(proto, key)?.value;
        if (typeof value !== "function") continue;
        if (key === "run") named = value;
        const brand = (value as unknown as Record<symbol, WorkflowMethodBrand | undefined>)[WORKFLOW_METHOD];
        if (brand === undefined) continue;
        if (brand.kind === "run") run ??= value;
        else this.setHandler(brand.kind, brand.name ?? String(key), value.bind(object));
      }
    }
    const method = run ?? named;
    if (method === undefined) {
      throw codedError(TypeError, {
        code: "WFS_NO_RUN_METHOD",
        message: `Workflow class '${object.constructor?.name}' (type '${this.identity.workflowType}') has no run method`,
        hint: "Mark the method that runs the workflow with @workflow.run",
      });
    }
    return method;
  }
}

/** Where workflow code issued a command: a stack, not an error (nothing throws it). */
function commandOrigin(): CommandOrigin {
  const origin: { stack?: string } = {};
  captureStackTrace?.(origin, commandOrigin);
  return origin;
}

function cancelledBy(signal: AbortSignal, message: string): unknown {
  const reason = signal.reason;
  return reason instanceof CancelledFailure ? new CancelledFailure(reason.message) : new CancelledFailure(message, [], reason instanceof Error ? reason : undefined);
}

function activityCancelled(activityType: string, seq: number): ActivityFailure {
  return new ActivityFailure("Activity cancelled", activityType, String(seq), "CANCEL_REQUESTED", new CancelledFailure("Activity cancelled"));
}
