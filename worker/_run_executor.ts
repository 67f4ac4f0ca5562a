/**
 * Drives one workflow instance through its history: every recorded workflow task is replayed (its
 * input events become activation jobs, and the commands it produces must match the events the task
 * recorded), then the trailing input events run as the live task whose commands the worker
 * records. The worker and the replayer share it, so they replay identically.
 *
 * History layout: input events (start, signals, activity and timer outcomes, cancellation) arrive
 * in their own writes; a workflow task's completion is one write of `WorkflowTaskCompleted`
 * followed by the events of its commands. A task's inputs are therefore the input events since the
 * previous task's commands.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { NondeterminismError } from "../sandbox/errors.ts";
import type { WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type { ActivateOptions, WorkflowInstance, WorkflowRunner } from "../sandbox/workflow_runner.ts";
import { type Command, describeCommand, describeEvent, findCommandMismatch, isCommandEvent } from "./_commands.ts";
import type { ErrorTypeEntry } from "./_error_types.ts";
import { historyInvalid, validateEvents } from "./_history_validation.ts";
import { asError } from "./_thrown_value.ts";
import { type LogLevel, type RunIdentity, WorkflowRunState } from "./_workflow_run_state.ts";
import type { ExecutionKey, HistoryEvent } from "./history_store.ts";
import type { Payload, PayloadConverter } from "./payload_converter.ts";

/** Options of {@linkcode RunExecutor.create}. */
export interface RunExecutorOptions {
  readonly definition: WorkflowDefinition;
  readonly runner: WorkflowRunner;
  readonly key: ExecutionKey;
  /** The run's `WorkflowExecutionStarted` event. */
  readonly started: HistoryEvent;
  readonly converter: PayloadConverter;
  readonly failureTypes: readonly ErrorTypeEntry[];
  /** 0: no deadlock detection (debug mode). */
  readonly deadlockTimeoutMs: number;
  readonly log: (level: LogLevel, message: string, attributes: Record<string, unknown>) => void;
  /** Workflow source position of an error's stack, `file:line:col`. */
  readonly locate: (error: unknown) => string | undefined;
}

/** Reads a run's identity from its start event. */
export function identityOf(key: ExecutionKey, started: HistoryEvent): RunIdentity {
  if (started?.type !== "WorkflowExecutionStarted") {
    throw corrupt(key, `its first event is ${started?.type === undefined ? "missing" : `'${started.type}'`}, not 'WorkflowExecutionStarted'`);
  }
  return {
    workflowId: key.workflowId,
    runId: key.runId,
    workflowType: String(started.workflowType),
    taskQueue: String(started.taskQueue),
    firstExecutionRunId: typeof started.firstExecutionRunId === "string" ? started.firstExecutionRunId : key.runId,
    ...(typeof started.continuedFromExecutionRunId === "string" ? { continuedFromExecutionRunId: started.continuedFromExecutionRunId } : {}),
    startTime: typeof started.originalStartTime === "number" ? started.originalStartTime : started.timestamp,
    runStartTime: started.timestamp,
    attempt: typeof started.attempt === "number" ? started.attempt : 1,
    randomnessSeed: String(started.randomnessSeed ?? `${key.workflowId}/${key.runId}`),
  };
}

/** One run's instance and state, and how far through history it is. */
export class RunExecutor {
  readonly state: WorkflowRunState;
  readonly definition: WorkflowDefinition;
  /** The last event the instance has seen (it has replayed or produced every event up to here). */
  processedEventId = 0;
  /** Workflow tasks applied to the instance, replayed or live. */
  tasks = 0;
  readonly #instance: WorkflowInstance;
  readonly #options: RunExecutorOptions;
  readonly #activate: ActivateOptions;
  #disposed = false;

  private constructor(options: RunExecutorOptions, state: WorkflowRunState, instance: WorkflowInstance) {
    this.#options = options;
    this.definition = options.definition;
    this.state = state;
    this.#instance = instance;
    this.#activate = { deadlockTimeoutMs: options.deadlockTimeoutMs };
  }

  /** Creates the run's instance (a fresh sandbox for sandboxed definitions). */
  static async create(options: RunExecutorOptions): Promise<RunExecutor> {
    const state = new WorkflowRunState({
      identity: identityOf(options.key, options.started),
      converter: options.converter,
      failureTypes: options.failureTypes,
      kind: options.definition.options.kind,
      log: options.log,
    });
    const instance = await options.runner.createInstance({
      definition: options.definition,
      host: state,
      deadlockTimeoutMs: options.deadlockTimeoutMs,
      // Deterministic mode's seed and import-time clock, from history (docs/determinism.md).
      randomnessSeed: state.identity.randomnessSeed,
      now: state.identity.runStartTime,
    });
    return new RunExecutor(options, state, instance);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Applies `events` (which continue from {@linkcode processedEventId}): replays the workflow
   * tasks they record, then, with `live`, runs the trailing input events as a new task and returns
   * its commands. Without `live` the trailing inputs are left for a later call.
   */
  async advance(events: readonly HistoryEvent[], live?: { readonly now: number }): Promise<Command[] | undefined> {
    // A damaged or foreign history is WFS_HISTORY_INVALID naming the event, before any of it runs.
    validateEvents(events, this.processedEventId, subjectOf(this.#options.key));
    let inputs: HistoryEvent[] = [];
    let i = 0;
    while (i < events.length) {
      const event = events[i]!;
      if (event.type === "WorkflowTaskCompleted") {
        let j = i + 1;
        while (j < events.length && isCommandEvent(events[j]!)) j++;
        const recorded = events.slice(i + 1, j);
        const startedTime = typeof event.startedTime === "number" ? event.startedTime : event.timestamp;
        await this.#runTask(inputs, startedTime, event.eventId, recorded);
        inputs = [];
        this.processedEventId = events[j - 1]!.eventId;
        i = j;
        continue;
      }
      if (isCommandEvent(event)) {
        throw corrupt(this.#options.key, `event ${event.eventId} ('${event.type}') records a command but does not follow a 'WorkflowTaskCompleted' event`, event);
      }
      inputs.push(event);
      i++;
    }
    if (live === undefined) return undefined;
    const historyLength = (events.at(-1)?.eventId ?? this.processedEventId) + 1;
    const commands = await this.#runTask(inputs, live.now, historyLength, undefined);
    return commands;
  }

  /** Answers a query against the state of the last applied task. */
  async query(name: string, args: readonly Payload[]): Promise<Payload> {
    if (!this.state.started) {
      throw codedError(Error, {
        code: "WFS_QUERY_NOT_READY",
        message: `Cannot query workflow '${this.state.identity.workflowId}': it has not completed its first workflow task yet`,
        hint: "Query again once a worker has run it",
      });
    }
    const { results } = await this.#instance.activate([() => {
      try {
        return { ok: true as const, value: this.state.query(name, args) };
      } catch (error) {
        return { ok: false as const, error };
      }
    }], this.#activate);
    const outcome = results[0]!;
    if (!outcome.ok) {
      const { workflowId, workflowType } = this.state.identity;
      throw asError(outcome.error, `Query handler '${name}' of workflow '${workflowId}' (type '${workflowType}')`);
    }
    return outcome.value;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#instance.dispose();
  }

  async #runTask(inputs: readonly HistoryEvent[], now: number, historyLength: number, recorded: readonly HistoryEvent[] | undefined): Promise<Command[]> {
    const state = this.state;
    const replaying = recorded !== undefined;
    state.beginTask(now, replaying, historyLength);
    if (recorded) {
      for (const event of recorded) if (event.type === "MarkerRecorded") state.knownPatches.add(String(event.patchId));
    }
    const jobs = inputs.map((event) => this.#jobFor(event));
    await this.#instance.activate(jobs, { ...this.#activate, now });
    while (state.conditions.size > 0 && !state.closed) {
      const { results } = await this.#instance.activate([() => state.unblockConditions()], this.#activate);
      if (!results[0]) break;
    }
    this.tasks++;
    const commands = state.takeCommands();
    if (state.taskError !== undefined) throw state.taskError;
    if (recorded) this.#check(commands, recorded);
    return commands;
  }

  #jobFor(event: HistoryEvent): (workflow: unknown) => void {
    const state = this.state;
    switch (event.type) {
      case "WorkflowExecutionStarted":
        return (workflow) => state.start(workflow, (event.args ?? []) as Payload[]);
      case "WorkflowExecutionSignaled":
        return () => state.signal(String(event.signalName), (event.args ?? []) as Payload[]);
      case "ActivityTaskCompleted":
      case "ActivityTaskFailed":
      case "ActivityTaskCanceled":
        return () => state.resolveActivity(event);
      case "TimerFired":
        return () => state.fireTimer(event);
      case "WorkflowExecutionCancelRequested":
        return () => state.requestCancel();
      case "WorkflowExecutionTerminated":
        return () => {};
      default:
        throw corrupt(this.#options.key, `event ${event.eventId} has the unknown type '${event.type}'`, event);
    }
  }

  #check(commands: readonly Command[], recorded: readonly HistoryEvent[]): void {
    const mismatch = findCommandMismatch(commands, recorded);
    if (mismatch === undefined) return;
    const { key } = this.#options;
    const location = mismatch.command?.origin ? this.#options.locate(mismatch.command.origin) : undefined;
    const what = mismatch.event === undefined
      ? `the code now also produces ${describeCommand(mismatch.command!)}, which history does not have`
      : mismatch.command === undefined
      ? `history has ${describeEvent(mismatch.event)} at event ${mismatch.event.eventId} but the code no longer produces it`
      : `history has ${describeEvent(mismatch.event)} at event ${mismatch.event.eventId} but the code now produces ${describeCommand(mismatch.command)}`;
    throw codedError(
      NondeterminismError,
      {
        code: "WFS_NONDETERMINISM",
        message: `Workflow '${key.workflowId}' (type '${this.state.identity.workflowType}', run '${key.runId}') does not replay its ` +
          `history: ${what}${location ? ` at ${location}` : ""}. Workflow code changed in a way that is incompatible with ` +
          `runs already recorded`,
        hint: "Guard the change with workflow.patched('<change-id>') (the old branch for old runs, the new one for new runs), " +
          "or deploy it only once the old runs have closed",
      },
      location === undefined ? {} : { location },
    );
  }
}

function subjectOf(key: ExecutionKey): string {
  return `Cannot replay workflow '${key.workflowId}' run '${key.runId}'`;
}

function corrupt(key: ExecutionKey, what: string, event?: HistoryEvent): Error {
  return historyInvalid(subjectOf(key), what, event);
}
