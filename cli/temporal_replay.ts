/**
 * `check --histories` for Temporal: a history in Temporal's format (proto3 JSON, events with
 * `eventType`) is replayed through the Temporal adapter (`workflow-sandbox/temporal`), against the
 * checked files that are Temporal workflow files (they import `@temporalio/workflow`). Temporal's
 * own worker compares the replay's commands with the history and raises
 * `DeterminismViolationError` on a mismatch, which fails the check. Node only: Temporal's native
 * core does not load in Deno.
 * @module
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { HistoryFile, ReplayOutcome } from "./history_replay.ts";
import { loadsTemporalCore } from "../loader/runtime.ts";

const TEMPORAL_WORKFLOW_IMPORT = /(?:from\s*|import\s*\(?\s*)["']@temporalio\/workflow(?:\/[^"']*)?["']/;

const SANDBOX_IMPORT = /(?:from\s*|import\s*\(?\s*)["']workflow-sandbox(?:\/[^"']*)?["']/;

/**
 * Whether a workflow file is written for Temporal's SDK: it imports `@temporalio/workflow`, or,
 * when Temporal histories are given, it does not import workflow-sandbox (a reference-worker
 * workflow must, for `workflow.defn`; a Temporal workflow may use neither, as the samples do).
 * Such a file is not inspected as the reference worker would load it: its histories replay through
 * the adapter.
 *
 * @example
 * ```ts
 * import { isTemporalWorkflowFile } from "./temporal_replay.ts";
 * isTemporalWorkflowFile("src/workflows.ts", false); // true when it imports @temporalio/workflow
 * ```
 */
export function isTemporalWorkflowFile(path: string, temporalHistoriesGiven: boolean): boolean {
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch {
    return false;
  }
  return TEMPORAL_WORKFLOW_IMPORT.test(source) || (temporalHistoriesGiven && !SANDBOX_IMPORT.test(source));
}

/** What `readHistory` keeps of a Temporal history. */
export interface TemporalHistory {
  readonly workflowType: string;
  readonly workflowId: string;
  readonly history: unknown;
}

/**
 * Reads the workflow type and id of a Temporal history, or undefined when it is not one.
 *
 * @example
 * ```ts
 * import { temporalHistoryOf } from "./temporal_replay.ts";
 * temporalHistoryOf({ events: [{ eventType: "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
 *   workflowExecutionStartedEventAttributes: { workflowType: { name: "greet" } } }] }, "h.json")?.workflowType; // "greet"
 * ```
 */
export function temporalHistoryOf(value: unknown, path: string): TemporalHistory | undefined {
  const events = Array.isArray(value) ? value : (value as { events?: unknown })?.events;
  const first = Array.isArray(events) ? events[0] as Record<string, unknown> | undefined : undefined;
  if (!first || !("eventType" in first || "workflowExecutionStartedEventAttributes" in first)) return undefined;
  const started = first.workflowExecutionStartedEventAttributes as
    | { workflowType?: { name?: string }; workflowId?: string }
    | undefined;
  const name = path.replace(/^.*[\\/]/, "").replace(/\.json$/, "");
  return {
    workflowType: String(started?.workflowType?.name ?? "unknown"),
    workflowId: String(started?.workflowId ?? name),
    history: Array.isArray(value) ? { events: value } : value,
  };
}

type TemporalWorker = {
  runReplayHistory(options: { workflowsPath: string; sandbox: { bundlerResolution: boolean } }, history: unknown, workflowId?: string): Promise<void>;
};

/**
 * Makes the replay of Temporal histories against `files` (the checked Temporal workflow files).
 *
 * @example
 * ```ts
 * import { temporalReplayer } from "./temporal_replay.ts";
 * const replay = temporalReplayer(["/app/workflows.ts"], "/app");
 * // await replay(historyFile) → { ok, error? }
 * ```
 */
export function temporalReplayer(files: readonly string[], cwd: string): (file: HistoryFile) => Promise<ReplayOutcome> {
  let worker: Promise<TemporalWorker> | undefined;
  return async (file) => {
    const temporal = file.temporal!;
    const ids = { workflowType: temporal.workflowType, workflowId: temporal.workflowId };
    const shown = relative(cwd, file.path);
    if (!loadsTemporalCore) {
      return fail(file, ids, "WFS_UNSUPPORTED_RUNTIME", `Cannot replay '${shown}': Temporal histories replay on Node only (Temporal's native core does not load in Deno). Run check with Node`);
    }
    if (files.length === 0) {
      return fail(file, ids, "WFS_UNKNOWN_WORKFLOW_TYPE", `Cannot replay '${shown}': it is a Temporal history, and no checked file imports @temporalio/workflow. Pass the file that defines '${temporal.workflowType}'`);
    }
    let Worker: TemporalWorker;
    try {
      worker ??= quietTemporalRuntime().then(() => import("workflow-sandbox/temporal"))
        .then((module) => module.SandboxedTemporalWorker as unknown as TemporalWorker);
      Worker = await worker;
    } catch (error) {
      return fail(file, ids, "WFS_UNSUPPORTED_RUNTIME", `Cannot replay '${shown}': the Temporal adapter does not load (${(error as Error).message}). Install @temporalio/worker and @temporalio/workflow ~1.24.0`);
    }
    let last: unknown;
    for (const workflowsPath of files) {
      try {
        await Worker.runReplayHistory({ workflowsPath, sandbox: { bundlerResolution: true } }, temporal.history, temporal.workflowId);
        return { path: file.path, ok: true, ...ids, workflowFile: workflowsPath };
      } catch (error) {
        last = error;
        // Another file may export the type: Temporal names it in its message when none does.
        if (/not .*(found|registered|exported|a function)|no .*workflow/i.test(String((error as Error)?.message))) continue;
        break;
      }
    }
    const error = last as { name?: string; message?: string };
    const code = error?.name === "DeterminismViolationError" ? "WFS_NONDETERMINISM" : undefined;
    return fail(file, ids, code, `${shown}: ${error?.name ?? "Error"}: ${String(error?.message ?? last)}`);
  };
}

/**
 * Temporal's core logs a failing workflow task to the console (stdout), which would break `--json`:
 * the outcome carries the same message, so the runtime check installs logs nothing. A runtime the
 * process installed before is kept.
 */
async function quietTemporalRuntime(): Promise<void> {
  const { DefaultLogger, Runtime } = await import("@temporalio/worker");
  try {
    Runtime.install({
      logger: new DefaultLogger("ERROR", () => {}),
      telemetryOptions: { logging: { filter: { core: "ERROR", other: "ERROR" }, forward: {} } },
    });
  } catch {
    // already installed
  }
}

function fail(file: HistoryFile, ids: { workflowType: string; workflowId: string }, code: string | undefined, message: string): ReplayOutcome {
  return { path: file.path, ok: false, ...ids, error: { code, message } };
}
