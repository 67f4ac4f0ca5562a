/**
 * The replayer: runs recorded histories through the current workflow code, exactly as a worker
 * rebuilds an evicted run, and fails with `NondeterminismError` where the code no longer produces
 * what history recorded. Run it in CI over saved histories before deploying a workflow change.
 * @module
 */
import { z } from "zod";
import { codedError } from "../sandbox/coded_error.ts";
import { SandboxedWorkflowRunner } from "../sandbox/sandboxed_workflow_runner.ts";
import { UnsandboxedWorkflowRunner } from "../sandbox/unsandboxed_workflow_runner.ts";
import type { WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type { WorkflowRunner } from "../sandbox/workflow_runner.ts";
import { errorLocation } from "./_error_location.ts";
import type { ErrorTypeEntry } from "./_error_types.ts";
import { eventsOf, validateEvents } from "./_history_validation.ts";
import { loadWorkflows } from "./_load_workflows.ts";
import { parseOptions } from "./_options.ts";
import { RunExecutor } from "./_run_executor.ts";
import type { HistoryEvent } from "./history_store.ts";
import { defaultPayloadConverter, type PayloadConverter } from "./payload_converter.ts";
import { determinismSchema, restrictionsFor } from "./_determinism_option.ts";
import type { DeterminismOptions } from "../sandbox/determinism_policy.ts";
import type { WorkflowHistory } from "./workflow_history.ts";

/**
 * Options of {@linkcode Replayer.replayWorkflow}.
 *
 * @example
 * ```ts
 * import type { ReplayerOptions } from "./replayer.ts";
 * const options: ReplayerOptions = { workflowsPath: new URL("./workflows.ts", import.meta.url) };
 * ```
 */
export interface ReplayerOptions {
  /** The module exporting the workflows, as for the worker. */
  readonly workflowsPath: string | URL;
  /** @default new SandboxedWorkflowRunner() */
  readonly workflowRunner?: WorkflowRunner;
  /** @default new UnsandboxedWorkflowRunner() */
  readonly unsandboxedWorkflowRunner?: WorkflowRunner;
  /** The converter the histories were written with. @default JSON */
  readonly payloadConverter?: PayloadConverter;
  /** As the worker's option of the same name. @default [] */
  readonly workflowFailureErrorTypes?: readonly ErrorTypeEntry[];
  /** @default 2000; 0 turns detection off */
  readonly deadlockTimeoutMs?: number;
  /**
   * The default runner's determinism policy: give the worker's (`WorkerOptions.determinism`), so
   * packages get the same time zone, locale and environment constants as when the histories were
   * written. Not with `workflowRunner`.
   * @default the default policy (docs/determinism.md)
   */
  readonly determinism?: DeterminismOptions;
}

/**
 * Options of {@linkcode Replayer.replayWorkflows}.
 *
 * @example
 * ```ts
 * import type { ReplayWorkflowsOptions } from "./replayer.ts";
 * const options: ReplayWorkflowsOptions = { workflowsPath: "./workflows.ts", raiseOnReplayFailure: false };
 * ```
 */
export interface ReplayWorkflowsOptions extends ReplayerOptions {
  /**
   * Throw the first failure instead of collecting them all.
   * @default true
   */
  readonly raiseOnReplayFailure?: boolean;
}

/**
 * One replayed run.
 *
 * @example
 * ```ts
 * import type { ReplayResult } from "./replayer.ts";
 * const show = (r: ReplayResult) => `${r.workflowType} ${r.workflowId}: ${r.workflowTasks} tasks replayed`;
 * ```
 */
export interface ReplayResult {
  readonly workflowId: string;
  readonly runId: string;
  readonly workflowType: string;
  /** Workflow tasks replayed and checked. */
  readonly workflowTasks: number;
}

/**
 * What {@linkcode Replayer.replayWorkflows} returns: the failures by run id (Python's
 * `WorkflowReplayResults`).
 *
 * @example
 * ```ts
 * import type { WorkflowReplayResults } from "./replayer.ts";
 * const ok = (results: WorkflowReplayResults) => results.replayFailures.size === 0;
 * ```
 */
export interface WorkflowReplayResults {
  readonly results: readonly ReplayResult[];
  readonly replayFailures: ReadonlyMap<string, Error>;
}

const schema = z.object({
  workflowsPath: z.union([z.string().min(1), z.instanceof(URL)]),
  workflowRunner: z.custom<WorkflowRunner>((v) => typeof (v as WorkflowRunner)?.createInstance === "function", { error: "expected a WorkflowRunner" }).optional(),
  unsandboxedWorkflowRunner: z.custom<WorkflowRunner>((v) => typeof (v as WorkflowRunner)?.createInstance === "function", { error: "expected a WorkflowRunner" }).optional(),
  payloadConverter: z.custom<PayloadConverter>((v) => typeof (v as PayloadConverter)?.fromPayload === "function", { error: "expected a PayloadConverter" }).optional(),
  workflowFailureErrorTypes: z.array(z.custom<ErrorTypeEntry>((v) => v !== undefined && v !== null)).optional(),
  deadlockTimeoutMs: z.number().int().nonnegative().optional(),
  raiseOnReplayFailure: z.boolean().optional(),
  determinism: determinismSchema.optional(),
}).strict();

interface Prepared {
  readonly definitions: ReadonlyMap<string, WorkflowDefinition>;
  readonly sandboxed: WorkflowRunner;
  readonly unsandboxed: WorkflowRunner;
  readonly options: ReplayWorkflowsOptions;
}

/**
 * Replays histories against workflow code.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { Replayer } from "workflow-sandbox";
 * const history = JSON.parse(readFileSync("histories/order-1.json", "utf8"));
 * await Replayer.replayWorkflow(history, { workflowsPath: new URL("./workflows.ts", import.meta.url) });
 * ```
 */
export class Replayer {
  private constructor() {}

  /**
   * Replays one history; rejects with `NondeterminismError` (or the error the workflow code
   * threw) when it does not replay, with `WFS_HISTORY_INVALID` naming the event when the history
   * itself is invalid, and with `WorkflowValidationError` when the workflows cannot load.
   *
   * @example
   * ```ts
   * import { Replayer } from "workflow-sandbox";
   * declare const history: import("./workflow_history.ts").WorkflowHistory;
   * const result = await Replayer.replayWorkflow(history, { workflowsPath: "./workflows.ts" });
   * console.log(result.workflowTasks);
   * ```
   */
  static async replayWorkflow(history: WorkflowHistory | readonly HistoryEvent[], options: ReplayerOptions): Promise<ReplayResult> {
    const prepared = await prepare(options, "Replayer.replayWorkflow()");
    return replayOne(prepared, history);
  }

  /**
   * Replays many histories with one preparation of the workflows. Throws the first failure, or
   * with `raiseOnReplayFailure: false` returns every failure by run id.
   *
   * @example
   * ```ts
   * import { Replayer } from "workflow-sandbox";
   * declare const histories: import("./workflow_history.ts").WorkflowHistory[];
   * const { replayFailures } = await Replayer.replayWorkflows(histories, { workflowsPath: "./workflows.ts", raiseOnReplayFailure: false });
   * for (const [runId, error] of replayFailures) console.error(runId, error.message);
   * ```
   */
  static async replayWorkflows(
    histories: Iterable<WorkflowHistory> | AsyncIterable<WorkflowHistory>,
    options: ReplayWorkflowsOptions,
  ): Promise<WorkflowReplayResults> {
    const prepared = await prepare(options, "Replayer.replayWorkflows()");
    const results: ReplayResult[] = [];
    const replayFailures = new Map<string, Error>();
    for await (const history of histories) {
      try {
        results.push(await replayOne(prepared, history));
      } catch (error) {
        if (options.raiseOnReplayFailure !== false) throw error;
        replayFailures.set(runIdOf(history), error as Error);
      }
    }
    return { results, replayFailures };
  }
}

async function prepare(options: ReplayWorkflowsOptions, call: string): Promise<Prepared> {
  const parsed = parseOptions(schema, options, call) as ReplayWorkflowsOptions;
  const restrictions = restrictionsFor(parsed.determinism, parsed.workflowRunner !== undefined, call);
  const sandboxed = parsed.workflowRunner ?? new SandboxedWorkflowRunner(restrictions === undefined ? {} : { restrictions });
  const unsandboxed = parsed.unsandboxedWorkflowRunner ?? new UnsandboxedWorkflowRunner();
  // A module that cannot load fails here with WorkflowValidationError, as in Worker.create().
  const definitions = await loadWorkflows(parsed.workflowsPath, { sandboxed, unsandboxed }, {
    deadlockTimeoutMs: parsed.deadlockTimeoutMs ?? 2000,
  });
  return { definitions, sandboxed, unsandboxed, options: parsed };
}

async function replayOne(prepared: Prepared, history: WorkflowHistory | readonly HistoryEvent[]): Promise<ReplayResult> {
  // An invalid history (null, missing, repeated or out-of-order event ids, an unknown event type)
  // is WFS_HISTORY_INVALID naming the event, before any workflow code runs.
  const named = Array.isArray(history) ? undefined : history as Partial<WorkflowHistory> | null | undefined;
  const subject = typeof named?.workflowId === "string"
    ? `Cannot replay workflow '${named.workflowId}'${typeof named.runId === "string" ? ` run '${named.runId}'` : ""}`
    : "Cannot replay";
  const events = eventsOf(history, subject);
  validateEvents(events, 0, subject);
  const started = events[0]!;
  const workflowId = String(named?.workflowId ?? started.workflowId ?? "replay");
  const runId = String(named?.runId ?? started.runId ?? "replay");
  const workflowType = String(started.workflowType);
  const definition = prepared.definitions.get(workflowType);
  if (definition === undefined) {
    const known = [...prepared.definitions.keys()].map((n) => `'${n}'`).join(", ") || "none";
    throw codedError(Error, {
      code: "WFS_UNKNOWN_WORKFLOW_TYPE",
      message: `Cannot replay workflow '${workflowId}': its type '${workflowType}' is not exported by the workflows module ` +
        `(exported: ${known})`,
      hint: "Export it with workflow.defn from the workflowsPath module, or replay with the workflowsPath that has it",
    });
  }
  const executor = await RunExecutor.create({
    definition,
    runner: definition.sandboxed ? prepared.sandboxed : prepared.unsandboxed,
    key: { workflowId, runId },
    started,
    converter: prepared.options.payloadConverter ?? defaultPayloadConverter,
    failureTypes: [...(prepared.options.workflowFailureErrorTypes ?? []), ...(definition.options.failureErrorTypes ?? []) as ErrorTypeEntry[]],
    deadlockTimeoutMs: prepared.options.deadlockTimeoutMs ?? 2000,
    log: () => {}, // every task is a replay: workflow.logger is silent anyway
    locate: errorLocation,
  });
  try {
    await executor.advance(events);
    return { workflowId, runId, workflowType, workflowTasks: executor.tasks };
  } finally {
    executor.dispose();
  }
}

function runIdOf(history: WorkflowHistory): string {
  return String(history?.runId ?? history?.events?.[0]?.runId ?? "unknown");
}
