/**
 * `check --histories <dir>`: reads recorded histories (the reference worker's format, as
 * `handle.fetchHistory()` returns it), replays each against the workflow file that defines its
 * workflow type with the replayer, and observes, during each replayed run, whether the exports of
 * chosen sandboxed modules change (evidence for pass-through candidates). A history in Temporal's
 * format replays through the Temporal adapter instead (cli/temporal_replay.ts).
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { ReplayerOptions, ReplayResult } from "../worker/replayer.ts";
import type { WorkflowHistory } from "../worker/workflow_history.ts";
import type {
  ActivateOptions,
  ActivationJob,
  ActivationResult,
  WorkflowInstance,
  WorkflowInstanceDetails,
  WorkflowRunner,
} from "../sandbox/workflow_runner.ts";
import type { WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type { ModuleProbe } from "./_module_probe.ts";
import { exportState } from "./export_state.ts";
import { type TemporalHistory, temporalHistoryOf } from "./temporal_replay.ts";
import type { RunObservation } from "./passthrough_candidates.ts";

/** One history file, read. */
export interface HistoryFile {
  readonly path: string;
  readonly history: WorkflowHistory | undefined;
  /** Why it cannot be replayed (unreadable, not JSON, another format). */
  readonly problem: { readonly code: string; readonly message: string } | undefined;
  /** A history in Temporal's format, replayed through the Temporal adapter (cli/temporal_replay.ts). */
  readonly temporal?: TemporalHistory;
}

/** The outcome of replaying one history. */
export interface ReplayOutcome {
  readonly path: string;
  readonly ok: boolean;
  readonly workflowType?: string;
  readonly workflowId?: string;
  readonly runId?: string;
  /** The workflow file it was replayed against. */
  readonly workflowFile?: string;
  /** Workflow tasks replayed. */
  readonly workflowTasks?: number;
  readonly error?: { readonly code: string | undefined; readonly message: string; readonly location?: string };
}

/**
 * Reads every `*.json` file below `dir` (sorted, subfolders included).
 *
 * @example
 * ```ts
 * import { readHistories } from "./history_replay.ts";
 * for (const file of readHistories("histories")) console.log(file.path, file.problem?.message ?? "ok");
 * ```
 */
export function readHistories(dir: string): HistoryFile[] {
  const paths: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".json")) paths.push(path);
    }
  };
  walk(dir);
  return paths.map(readHistory);
}

function readHistory(path: string): HistoryFile {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { path, history: undefined, problem: { code: "WFS_HISTORY_INVALID", message: `Cannot read history '${path}': ${(error as Error).message}` } };
  }
  const events = Array.isArray(value) ? value : (value as { events?: unknown })?.events;
  const first = Array.isArray(events) ? events[0] as Record<string, unknown> | undefined : undefined;
  const temporal = temporalHistoryOf(value, path);
  if (temporal) return { path, history: undefined, problem: undefined, temporal };
  if (first?.type !== "WorkflowExecutionStarted") {
    return {
      path,
      history: undefined,
      problem: {
        code: "WFS_HISTORY_INVALID",
        message: `Cannot replay '${path}': its first event is ${first?.type === undefined ? "missing" : `'${String(first.type)}'`}, ` +
          "not 'WorkflowExecutionStarted'. Save histories with handle.fetchHistory()",
      },
    };
  }
  const history = Array.isArray(value)
    ? { workflowId: String(first.workflowId ?? "replay"), runId: String(first.runId ?? "replay"), events: value }
    : value as WorkflowHistory;
  return { path, history, problem: undefined };
}

/** A workflow file that histories can be replayed against. */
export interface ReplayTarget {
  readonly file: string;
  readonly definitions: readonly WorkflowDefinition[];
  readonly runner: WorkflowRunner;
  /** Set when the file could not be prepared: its histories are not replayed. */
  readonly failure: string | undefined;
  readonly probe: ModuleProbe | undefined;
  /** Modules whose exports each run should compare (URLs). */
  readonly watched: ReadonlySet<string>;
}

/** Options of {@linkcode replayHistories}. */
export interface ReplayHistoriesOptions {
  /** Where paths in messages are relative to. */
  readonly cwd: string;
  /** `Replayer.replayWorkflow` of the copy of the package the workflows import. */
  readonly replayWorkflow: (history: WorkflowHistory, options: ReplayerOptions) => Promise<ReplayResult>;
  /** Called after each history. */
  readonly onHistory?: (file: HistoryFile) => void;
  /** Replays a history in Temporal's format. */
  readonly replayTemporal?: (file: HistoryFile) => Promise<ReplayOutcome>;
}

/**
 * Replays each history against the target that defines its workflow type.
 *
 * @example
 * ```ts
 * import { readHistories, replayHistories } from "./history_replay.ts";
 * declare const targets: import("./history_replay.ts").ReplayTarget[];
 * import { Replayer } from "workflow-sandbox";
 * const { outcomes } = await replayHistories(readHistories("histories"), targets, {
 *   cwd: ".",
 *   replayWorkflow: (history, options) => Replayer.replayWorkflow(history, options),
 * });
 * outcomes.filter((o) => !o.ok).length; // failures
 * ```
 */
export async function replayHistories(
  files: readonly HistoryFile[],
  targets: readonly ReplayTarget[],
  options: ReplayHistoriesOptions,
): Promise<{ outcomes: ReplayOutcome[]; observed: Map<string, RunObservation[]> }> {
  const outcomes: ReplayOutcome[] = [];
  const observed = new Map<string, RunObservation[]>(targets.map((t) => [t.file, []]));
  for (const file of files) {
    outcomes.push(await replayOne(file, targets, observed, options));
    options.onHistory?.(file);
  }
  return { outcomes, observed };
}

async function replayOne(
  file: HistoryFile,
  targets: readonly ReplayTarget[],
  observed: Map<string, RunObservation[]>,
  options: ReplayHistoriesOptions,
): Promise<ReplayOutcome> {
  const { path } = file;
  if (file.temporal && options.replayTemporal) return options.replayTemporal(file);
  if (!file.history) return { path, ok: false, error: { code: file.problem!.code, message: file.problem!.message } };
  const started = file.history.events[0];
  const workflowType = String(started.workflowType);
  const ids = { workflowType, workflowId: file.history.workflowId, runId: file.history.runId };
  const target = targets.find((t) => t.definitions.some((d) => d.name === workflowType));
  if (!target) {
    const known = targets.flatMap((t) => t.definitions.map((d) => `'${d.name}'`)).join(", ") || "none";
    return {
      path,
      ok: false,
      ...ids,
      error: {
        code: "WFS_UNKNOWN_WORKFLOW_TYPE",
        message: `Cannot replay '${relative(options.cwd, path)}': its workflow type '${workflowType}' is not exported by the ` +
          `checked files (they export ${known}). Pass the file that defines it`,
      },
    };
  }
  if (target.failure !== undefined) {
    return {
      path,
      ok: false,
      ...ids,
      workflowFile: target.file,
      error: { code: "WFS_VALIDATION", message: `Not replayed: '${relative(options.cwd, target.file)}' failed validation (${target.failure})` },
    };
  }
  const runner = target.probe
    ? observingRunner(target.runner, target.probe, target.watched, (modules) =>
      observed.get(target.file)!.push({ workflowType, source: relative(options.cwd, path), modules }))
    : target.runner;
  try {
    const result = await options.replayWorkflow(file.history, { workflowsPath: target.file, workflowRunner: runner });
    return { path, ok: true, ...ids, workflowFile: target.file, workflowTasks: result.workflowTasks };
  } catch (error) {
    const e = error as { code?: string; message?: string; location?: string };
    return {
      path,
      ok: false,
      ...ids,
      workflowFile: target.file,
      error: { code: e?.code, message: String(e?.message ?? error), ...(e?.location ? { location: e.location } : {}) },
    };
  }
}

/**
 * A runner that delegates to `inner` and, for each instance it creates, compares the exports of the
 * watched modules when the instance is disposed with what they exported once instantiated.
 * Replays run one at a time, so every module evaluated between `createInstance` and `dispose`
 * belongs to that instance.
 */
function observingRunner(
  inner: WorkflowRunner,
  probe: ModuleProbe,
  watched: ReadonlySet<string>,
  report: (modules: Map<string, boolean>) => void,
): WorkflowRunner {
  return {
    prepare: (definition) => inner.prepare(definition),
    async createInstance(details: WorkflowInstanceDetails): Promise<WorkflowInstance> {
      probe.attach();
      const seen: Array<{ url: string; module: { exports: unknown }; fingerprint: string }> = [];
      const stop = probe.listen((evaluation) => {
        if (watched.has(evaluation.url) && !evaluation.failed) {
          seen.push({ url: evaluation.url, module: evaluation.module, fingerprint: exportState(evaluation.module.exports).fingerprint });
        }
      });
      let instance: WorkflowInstance;
      try {
        instance = await inner.createInstance(details);
      } catch (error) {
        stop();
        throw error;
      }
      return {
        get workflow() {
          return instance.workflow;
        },
        activate<T>(jobs: ReadonlyArray<ActivationJob<T>>, options?: ActivateOptions): Promise<ActivationResult<T>> {
          return instance.activate(jobs, options);
        },
        dispose() {
          stop();
          const modules = new Map<string, boolean>();
          for (const entry of seen) {
            const changed = exportState(entry.module.exports).fingerprint !== entry.fingerprint;
            modules.set(entry.url, (modules.get(entry.url) ?? false) || changed);
          }
          report(modules);
          instance.dispose();
        },
      };
    },
  };
}
