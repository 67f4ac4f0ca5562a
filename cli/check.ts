/**
 * `workflow-sandbox check`: loads each workflow file as the worker would (the validation sandbox of
 * `SandboxedWorkflowRunner.prepare`) and reports its module graph (sandboxed and passed-through
 * modules), each sandboxed module's per-run instantiation cost, restricted calls executed at import
 * time, static imports of invalid modules, the mutation report and pass-through candidates;
 * `--histories` replays recorded histories. Exit code 0 when every check passes, 1 when one fails,
 * 2 for a usage error (docs/cli.md).
 * @module
 */
import { pathToFileURL } from "node:url";
import { ensureRegistered, register } from "../loader/register.ts";
import { sharedLoaderServices } from "../loader/loader_services.ts";
import { codedError } from "../sandbox/coded_error.ts";
import { builtInTargets, moduleTargets, snapshot, type WatchedObject } from "../sandbox/mutation_report.ts";
import { resolveImport } from "../sandbox/module_resolver.ts";
import type { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";
import type { SandboxWarning } from "../sandbox/sandbox_warning.ts";
import type { WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type * as PackageApi from "../mod.ts";
import { createModuleProbe, type ModuleProbe } from "./_module_probe.ts";
import { type CheckArguments, CheckUsageError, parseCheckArguments } from "./check_arguments.ts";
import { CHECK_HELP } from "./check_help.ts";
import { formatCheckReport } from "./check_output.ts";
import type { CheckReport, FileReport, Mutation, RestrictedCall, WorkflowEntry } from "./check_report.ts";
import { type GraphReport, graphReport } from "./graph_report.ts";
import { type HistoryFile, readHistories, replayHistories, type ReplayOutcome, type ReplayTarget } from "./history_replay.ts";
import { type CostMeasurement, measureModuleCosts } from "./module_cost.ts";
import { passthroughCandidates, type RunObservation } from "./passthrough_candidates.ts";
import { createProgress, type Progress, type ProgressStream } from "./progress.ts";
import { isTemporalWorkflowFile, temporalReplayer } from "./temporal_replay.ts";

/** Where `check` reads and writes. */
export interface CheckIO {
  readonly cwd: string;
  readonly stdout: { write(text: string): unknown };
  /** Errors, and the progress bar when it is a terminal. */
  readonly stderr: ProgressStream;
}

/**
 * Runs `workflow-sandbox check` with the arguments after `check`; resolves to the exit code.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { check } from "./check.ts";
 * process.exitCode = await check(["src/workflows.ts", "--json"], {
 *   cwd: process.cwd(),
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 * });
 * ```
 */
export async function check(argv: readonly string[], io: CheckIO): Promise<number> {
  let args: CheckArguments;
  let restrictions: SandboxRestrictions;
  let api: Api;
  let histories: HistoryFile[];
  let temporalFiles: string[];
  try {
    args = parseCheckArguments(argv, io.cwd);
    if (args.help) {
      io.stdout.write(CHECK_HELP);
      return 0;
    }
    // The library front door: hooks on first use, so workflow files may be TypeScript. Temporal
    // projects import without extensions, as webpack resolves them (the adapter needs the hooks
    // registered with bundler-style resolution, which is process-wide).
    histories = args.histories.flatMap((dir) => readHistories(dir));
    const temporalHistories = histories.some((file) => file.temporal !== undefined);
    temporalFiles = args.files.filter((file) => isTemporalWorkflowFile(file, temporalHistories));
    if (temporalFiles.length > 0) register({ bundlerResolution: true });
    else ensureRegistered();
    api = await packageApi(args.files[0]);
    restrictions = await loadRestrictions(args, api);
  } catch (error) {
    if (!(error instanceof CheckUsageError)) throw error;
    io.stderr.write(`workflow-sandbox check: ${error.message}\n`);
    return 2;
  }
  const progress = createProgress(io.stderr);
  let report: CheckReport;
  try {
    report = await run(args, { api, restrictions, histories, temporalFiles }, io, progress);
  } finally {
    progress.finish();
  }
  io.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report, io.cwd));
  return report.ok ? 0 : 1;
}

type Api = typeof PackageApi;

/**
 * The copy of workflow-sandbox the workflow code imports, which is the one its worker runs with:
 * its runner, restrictions and replayer must be that copy's (class identity, `instanceof
 * SandboxRestrictions`). This repository's sources and its dist/ are two copies, for example.
 */
async function packageApi(workflowFile: string): Promise<Api> {
  try {
    const url = await resolveImport("workflow-sandbox", pathToFileURL(workflowFile).href);
    if (url.startsWith("file:")) return await import(url) as Api;
  } catch {
    // The workflow's folder does not resolve the package (it imports it otherwise): use this copy.
  }
  return await import("../mod.ts");
}

async function loadRestrictions(args: CheckArguments, api: Api): Promise<SandboxRestrictions> {
  const { SandboxRestrictions } = api;
  let restrictions = SandboxRestrictions.default;
  if (args.restrictions !== undefined) {
    let namespace: Record<string, unknown>;
    try {
      namespace = await import(pathToFileURL(args.restrictions).href);
    } catch (error) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Cannot load '--restrictions ${args.restrictions}': ${(error as Error)?.message ?? error}`,
        hint: "Make the module import without error, or pass another module that exports the worker's SandboxRestrictions as 'restrictions'",
        cause: error,
      }, { option: "--restrictions" });
    }
    const exported = namespace.restrictions ?? namespace.default;
    if (!(exported instanceof SandboxRestrictions)) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Cannot use '--restrictions ${args.restrictions}': it exports no SandboxRestrictions as 'restrictions' or default ` +
          `(found ${exported === undefined ? "neither" : typeof exported})`,
        hint: "Export the worker's: export const restrictions = SandboxRestrictions.default.with({ ... })",
      }, { option: "--restrictions" });
    }
    restrictions = exported;
  }
  if (args.passthrough.length > 0) {
    try {
      restrictions = restrictions.withPassthroughModules(...args.passthrough);
    } catch (error) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Invalid value for '--passthrough': ${(error as Error)?.message ?? error}`,
        hint: "Pass module names, such as zod or ./schemas.ts",
        cause: error,
      }, { option: "--passthrough" });
    }
  }
  return restrictions;
}

/** What inspecting one file leaves for the replay and the candidates. */
interface Inspection {
  readonly report: Omit<
    FileReport,
    "ok" | "problems" | "candidates" | "notCandidates" | "runTimeRestrictedCalls" | "mutations" | "substitutedValues"
  >;
  readonly problems: string[];
  readonly warnings: Array<SandboxWarning & { phase: Mutation["phase"] }>;
  readonly importMutations: Mutation[];
  readonly costs: CostMeasurement | undefined;
  readonly target: ReplayTarget;
}

/** What `check` settled before running: the package copy, the restrictions, the histories read. */
interface Prepared {
  readonly api: Api;
  readonly restrictions: SandboxRestrictions;
  readonly histories: HistoryFile[];
  /** The checked files written for Temporal (cli/temporal_replay.ts). */
  readonly temporalFiles: readonly string[];
}

async function run(args: CheckArguments, prepared: Prepared, io: CheckIO, progress: Progress): Promise<CheckReport> {
  const { api, restrictions, histories: historyFiles, temporalFiles } = prepared;
  progress.plan(args.files.length * (args.samples + 2) + historyFiles.length);

  const inspections: Inspection[] = [];
  for (const file of args.files) {
    inspections.push(temporalFiles.includes(file) ? temporalInspection(file) : await inspect(file, args, api, restrictions, io, progress));
  }

  let outcomes: ReplayOutcome[] = [];
  let observed = new Map<string, RunObservation[]>();
  if (args.histories.length > 0) {
    // Warnings from now on come from replayed runs.
    for (const inspection of inspections) (inspection.target as { phase?: Mutation["phase"] }).phase = "replay";
    ({ outcomes, observed } = await replayHistories(historyFiles, inspections.map((i) => i.target), {
      cwd: io.cwd,
      replayWorkflow: (history, options) => api.Replayer.replayWorkflow(history, options),
      onHistory: (file) => progress.step(`replayed ${file.path.slice(io.cwd.length + 1) || file.path}`),
      replayTemporal: temporalReplayer(temporalFiles, io.cwd),
    }));
  }

  const files = inspections.map((inspection) => finish(inspection, args, observed.get(inspection.target.file) ?? []));
  const historiesOk = outcomes.every((o) => o.ok);
  return {
    ok: files.every((f) => f.ok) && historiesOk,
    thresholdMs: args.thresholdMs,
    samples: args.samples,
    files,
    histories: args.histories.length > 0 ? { dirs: args.histories, outcomes } : undefined,
  };
}

/**
 * A Temporal workflow file (it imports `@temporalio/workflow`) is not loaded as the reference
 * worker would load it: its workflows are Temporal's, and its histories replay through the Temporal
 * adapter (cli/temporal_replay.ts), whose report is in the histories section.
 */
function temporalInspection(file: string): Inspection {
  return {
    report: {
      file,
      workflows: [],
      modules: { sandboxed: [], passedThrough: [] },
      importTimeRestrictedCalls: [],
      invalidImports: [],
      warnings: [{ kind: "temporal", message: "a Temporal workflow file: not inspected; its Temporal histories replay through workflow-sandbox/temporal" }],
    },
    problems: [],
    warnings: [],
    importMutations: [],
    costs: undefined,
    target: { file, definitions: [], runner: undefined!, failure: "a Temporal workflow file", probe: undefined, watched: new Set() },
  };
}

async function inspect(
  file: string,
  args: CheckArguments,
  api: Api,
  restrictions: SandboxRestrictions,
  io: CheckIO,
  progress: Progress,
): Promise<Inspection> {
  const shown = file.startsWith(`${io.cwd}/`) ? file.slice(io.cwd.length + 1) : file;
  const problems: string[] = [];
  const warnings: Inspection["warnings"] = [];
  // Warnings arrive while this file is prepared and measured ("import"), or later while its histories
  // replay ("replay"); the target's phase field says which.
  const target: ReplayTarget & { phase: Mutation["phase"] } = {
    file,
    definitions: [],
    runner: undefined!,
    failure: undefined,
    probe: undefined,
    watched: new Set(),
    phase: "import",
  };
  const runner = new api.SandboxedWorkflowRunner({
    restrictions,
    mutationReport: true,
    onWarning: (warning) => warnings.push({ ...warning, phase: target.phase }),
  });
  Object.assign(target, { runner });
  const workflows: WorkflowEntry[] = [];
  const empty = (): Inspection => ({
    report: {
      file,
      workflows,
      modules: { sandboxed: [], passedThrough: [] },
      importTimeRestrictedCalls: [],
      invalidImports: [],
      warnings: [],
    },
    problems,
    warnings,
    importMutations: [],
    costs: undefined,
    target: Object.assign(target, { failure: problems[0] ?? "it could not be loaded" }),
  });

  progress.step(`${shown}: loading`);
  let definitions: WorkflowDefinition[];
  try {
    definitions = await api.discoverWorkflows(file);
  } catch (error) {
    problems.push(`Cannot import '${shown}' on the host to discover its workflows: ${messageOf(error)}`);
    return empty();
  }
  Object.assign(target, { definitions });
  for (const d of definitions) workflows.push({ name: d.name, sandboxed: d.sandboxed });
  if (definitions.length === 0) {
    problems.push(`'${shown}' exports no workflow: mark one with workflow.defn(), as the worker's workflowsPath needs`);
    return empty();
  }
  const sandboxed = definitions.filter((d) => d.sandboxed);
  if (sandboxed.length === 0) return empty(); // every workflow runs unsandboxed: nothing to check here

  try {
    await runner.graph.load(sandboxed[0].moduleUrl);
  } catch (error) {
    problems.push(`Cannot load the module graph of '${shown}': ${messageOf(error)}`);
  }
  // Import-time writes to shared objects: the runner reports writes during activations; imports
  // happen before the first one, so they are compared here.
  const watched: WatchedObject[] = builtInTargets();
  for (const [url, namespace] of runner.graph.hostNamespaces) watched.push(...moduleTargets(url, namespace));
  const compare = snapshot(watched);

  let prepared = true;
  for (const definition of sandboxed) {
    try {
      await runner.prepare(definition);
    } catch (error) {
      prepared = false;
      const e = error as { code?: string; location?: string; cause?: { code?: string } };
      const entry = workflows.find((w) => w.name === definition.name)!;
      const failure = { code: e.cause?.code ?? e.code, message: messageOf(error), location: e.location };
      workflows[workflows.indexOf(entry)] = { ...entry, error: failure };
      problems.push(failure.message);
    }
  }
  let costs: CostMeasurement | undefined;
  let probe: ModuleProbe | undefined;
  if (prepared) {
    probe = createModuleProbe(runner.graph);
    costs = await measureModuleCosts(runner, sandboxed[0], probe, { samples: args.samples, onRun: () => progress.step(`${shown}: measuring`) });
  } else {
    for (let i = 0; i <= args.samples; i++) progress.step(`${shown}: not measured`);
  }
  const importMutations: Mutation[] = compare().map((m) => ({ ...m, phase: "import" }));

  const graph: GraphReport = graphReport(runner.graph, {
    restrictions,
    scopes: sharedLoaderServices().scopes,
    packageRoot: ensureRegistered().root,
  });
  for (const i of graph.invalidImports) problems.push(`Import of invalid module '${i.module}' ('${i.specifier}') at ${i.location}`);
  const importTimeRestrictedCalls = restrictedCalls(warnings.filter((w) => w.phase === "import"));
  for (const call of importTimeRestrictedCalls) {
    problems.push(`Restricted call at import time${call.location ? ` at ${call.location}` : ""}: '${call.rule}'`);
  }

  const watchedUrls = new Set([...(costs?.costs ?? [])].filter(([, ms]) => ms >= args.thresholdMs).map(([url]) => url));
  Object.assign(target, { probe, watched: watchedUrls, failure: prepared ? undefined : problems[0] ?? "it failed validation" });
  return {
    report: {
      file,
      workflows,
      modules: {
        sandboxed: graph.sandboxed.map((m) => ({ ...m, costMs: costs?.costs.get(m.url) ?? null })),
        passedThrough: graph.passedThrough,
      },
      importTimeRestrictedCalls,
      invalidImports: graph.invalidImports,
      warnings: [],
    },
    problems,
    warnings,
    importMutations,
    costs,
    target,
  };
}

function finish(inspection: Inspection, args: CheckArguments, observed: readonly RunObservation[]): FileReport {
  const { warnings } = inspection;
  const problems = [...inspection.problems];
  const runTimeRestrictedCalls = restrictedCalls(warnings.filter((w) => w.phase === "replay"));
  for (const call of runTimeRestrictedCalls) {
    problems.push(`Restricted call during a replayed run${call.location ? ` at ${call.location}` : ""}: '${call.rule}'`);
  }
  const mutations = dedupe([
    ...inspection.importMutations,
    ...warnings.filter((w) => w.kind === "mutation").map((w) => ({ module: w.module!, property: w.property!, change: w.change!, phase: w.phase })),
  ], (m) => `${m.module}\0${m.property}\0${m.change}`)
    // The package's own process-wide slots (`Symbol.for("workflow-sandbox.*")` on globalThis) are
    // not workflow state: the deadlock guard adds one during the first activation.
    .filter((m) => !(m.module === "built-in" && m.property.startsWith("globalThis.Symbol(workflow-sandbox.")));
  for (const m of mutations) {
    problems.push(`Write to shared object '${m.property}' of ${m.module} (${m.change}) ${m.phase === "import" ? "while importing" : "during a replayed run"}`);
  }
  const { candidates, rejected } = inspection.costs
    ? passthroughCandidates({
      costs: inspection.costs.costs,
      thresholdMs: args.thresholdMs,
      firstRuns: inspection.costs.firstRuns,
      observed,
      exclude: new Set(inspection.target.definitions.map((d) => d.moduleUrl)),
    })
    : { candidates: [], rejected: [] };
  return {
    ...inspection.report,
    ok: problems.length === 0,
    problems,
    runTimeRestrictedCalls,
    mutations,
    candidates,
    notCandidates: rejected,
    substitutedValues: dedupe(
      warnings.filter((w) => w.kind === "substituted-value").map((w) => ({
        package: w.module ?? "",
        source: w.source ?? "",
        location: w.location,
        message: w.message,
      })),
      (s) => `${s.package}\0${s.source}`,
    ),
    warnings: warnings
      .filter((w) => w.kind !== "mutation" && w.kind !== "restricted-access" && w.kind !== "substituted-value")
      .map((w) => ({ kind: w.kind, message: w.message, ...(w.location ? { location: w.location } : {}) })),
  };
}

function restrictedCalls(warnings: readonly SandboxWarning[]): RestrictedCall[] {
  return dedupe(
    warnings.filter((w) => w.kind === "restricted-access").map((w) => ({ workflow: w.workflow, rule: w.rule, location: w.location, message: w.message })),
    (c) => `${c.rule}\0${c.location}`,
  );
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
