/**
 * The sandboxed runner: every run gets fresh instances of every module that is not passed
 * through, and a global object of its own.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureRegistered } from "../loader/register.ts";
import { type LoaderServices, sharedLoaderServices } from "../loader/loader_services.ts";
import { detectCommonJsNamespaceShape } from "./esm_interop.ts";
import { runExclusive } from "./activation_queue.ts";
import { codedError } from "./coded_error.ts";
import { enterRun } from "./current_run.ts";
import { nextMacrotask } from "./host_intrinsics.ts";
import { drainsMicrotasks, runStretch, type StretchOptions } from "./deadlock_guard.ts";
import { handled } from "./handled.ts";
import { DeadlockError } from "./deadlock_error.ts";
import { ModuleGraph } from "./module_graph.ts";
import { builtInTargets, moduleTargets, snapshot, type WatchedObject } from "./mutation_report.ts";
import { createPassthroughPolicy } from "./passthrough_policy.ts";
import { SandboxRun } from "./sandbox_run.ts";
import { SandboxRestrictions } from "./sandbox_restrictions.ts";
import { createRestrictionLayer } from "./restriction_layer.ts";
import { deduplicated, logWarning, type SandboxWarning } from "./sandbox_warning.ts";
import { type WorkflowDefinition, workflowBrand } from "./workflow_definition.ts";
import { locateInStack } from "./workflow_location.ts";
import type {
  ActivateOptions,
  ActivationJob,
  ActivationResult,
  MutationWarning,
  PrepareOptions,
  WorkflowInstance,
  WorkflowInstanceDetails,
  WorkflowRunner,
} from "./workflow_runner.ts";
import { WorkflowValidationError, workflowValidationError } from "./workflow_validation_error.ts";

/** Options of {@link SandboxedWorkflowRunner}. */
export interface SandboxedWorkflowRunnerOptions {
  /**
   * What is passed through and what is restricted. A plain object with only the passthrough
   * fields passes modules through without restricting anything (used by tests and benchmarks).
   * @default SandboxRestrictions.default
   */
  readonly restrictions?:
    | SandboxRestrictions
    | { readonly passthroughModules: Iterable<string>; readonly passthroughAllModules: boolean };
  /**
   * Report writes to shared objects after each activation: `true`, `false`, or a sampling rate
   * between 0 and 1. `prepare` always reports.
   * @default false
   */
  readonly mutationReport?: boolean | number;
  /**
   * Receives warnings (restricted accesses even when caught, nondeterminism warnings, import
   * notifications, mutations), each once per workflow type and rule.
   * @default a line on the console
   */
  readonly onWarning?: (warning: SandboxWarning) => void;
  /** The loader's services. @default one set per process */
  readonly services?: LoaderServices;
}

/** The default passthrough: built-ins and this package. */
export const DEFAULT_PASSTHROUGH: readonly string[] = Object.freeze([...SandboxRestrictions.passthroughModulesDefault]);

/**
 * Runs workflows in the sandbox.
 *
 * @example
 * ```ts
 * import { SandboxedWorkflowRunner, discoverWorkflows } from "workflow-sandbox";
 * const [definition] = await discoverWorkflows("./workflows.ts");
 * const runner = new SandboxedWorkflowRunner();
 * await runner.prepare(definition);
 * const instance = await runner.createInstance({ definition });
 * const { results } = await instance.activate([(wf) => (wf as (n: string) => Promise<string>)("Ada")]);
 * await results[0];
 * ```
 */
export class SandboxedWorkflowRunner implements WorkflowRunner {
  readonly #graph: ModuleGraph;
  readonly #options: SandboxedWorkflowRunnerOptions;
  readonly #layer: ReturnType<typeof createRestrictionLayer> | undefined;
  readonly #warn: (warning: SandboxWarning) => void;
  readonly #loadedEntries = new Set<string>();
  /** The workflow position in the stack of code the deadlock guard interrupted. */
  readonly #locate = (stack: string): string | undefined => locateInStack(stack, (path) => this.#isSandboxed(path));

  constructor(options: SandboxedWorkflowRunnerOptions = {}) {
    const registration = ensureRegistered();
    const services = options.services ?? sharedLoaderServices();
    const restrictions = options.restrictions ?? SandboxRestrictions.default;
    const modules = [...restrictions.passthroughModules];
    const self = modules.indexOf("workflow-sandbox");
    if (self >= 0) {
      // The package itself, by folder: its tests and examples are not part of what passes through.
      modules.splice(self, 1, ...selfFolders(registration.root));
    }
    const policy = createPassthroughPolicy({
      modules,
      all: restrictions.passthroughAllModules,
      scopes: services.scopes,
      onDuplicatePackage: (name, roots) =>
        console.warn(
          `workflow-sandbox: package '${name}' is installed twice (${roots.join(", ")}); classes from one ` +
            `copy are not instances of the other's. Deduplicate it ('npm dedupe') (WFS_DUPLICATE_PACKAGE)`,
        ),
    });
    this.#graph = new ModuleGraph(services, policy);
    this.#options = options;
    this.#warn = deduplicated(options.onWarning ?? logWarning);
    this.#layer = restrictions instanceof SandboxRestrictions
      ? createRestrictionLayer({
        restrictions,
        isSandboxedFile: (path) => this.#isSandboxed(path),
        scopes: services.scopes,
        warn: this.#warn,
      })
      : undefined;
  }

  /** The module graph (for the `check` command and tests). */
  get graph(): ModuleGraph {
    return this.#graph;
  }

  async prepare(definition: WorkflowDefinition, options: PrepareOptions = {}): Promise<void> {
    try {
      // Both wait on the runtime's loader (Node 20: its hooks thread), so they overlap.
      const probe = pathToFileURL(join(ensureRegistered().root, "sandbox", "_cjs_namespace_probe.cjs")).href;
      await Promise.all([detectCommonJsNamespaceShape(probe), this.#graph.load(definition.moduleUrl)]);
      const deadlockTimeoutMs = options.deadlockTimeoutMs ?? DEFAULT_DEADLOCK_TIMEOUT_MS;
      const instance = await this.#create({ definition, deadlockTimeoutMs }, true);
      if (!workflowBrand(instance.workflow)) {
        throw workflowValidationError(definition.name, {
          reason: `the sandboxed module does not export '${definition.exportName}' as a workflow ` +
            `(it is ${typeof instance.workflow})`,
          hint: `Export the value workflow.defn() returns as '${definition.exportName}'`,
        });
      }
      await instance.activate([], { deadlockTimeoutMs });
      instance.dispose();
    } catch (error) {
      if (error instanceof WorkflowValidationError) throw error;
      const location = locateInStack((error as Error)?.stack, (path) => this.#isSandboxed(path)) ??
        (error as { location?: string })?.location;
      throw workflowValidationError(definition.name, { cause: error, location });
    }
  }

  createInstance(details: WorkflowInstanceDetails): Promise<WorkflowInstance> {
    return this.#create(details, false);
  }

  async #create(details: WorkflowInstanceDetails, validating: boolean): Promise<WorkflowInstance> {
    const { definition } = details;
    // The graph walk runs once per entry point: later runs instantiate what it compiled.
    if (!this.#loadedEntries.has(definition.moduleUrl)) {
      await this.#graph.load(definition.moduleUrl);
      // Once per entry point, not per run (a path conversion and a package lookup: 5 to 18 µs).
      this.#layer?.addWorkflowModule(fileURLToPath(definition.moduleUrl));
      this.#loadedEntries.add(definition.moduleUrl);
    }
    const layer = this.#layer?.createRun();
    const run = new SandboxRun({
      graph: this.#graph,
      host: details.host,
      workflowName: definition.name,
      overrides: layer?.globals,
      shared: layer?.shared,
      attach: layer?.attach,
      hostModuleFilter: layer?.hostModuleFilter,
      onModule: layer?.onModule,
      packages: layer?.packages,
      // Validation runs before any workflow exists: a fixed time and seed (docs/determinism.md).
      workflowTime: validating ? undefined : details.now,
      randomnessSeed: validating ? undefined : details.randomnessSeed,
    });
    const guard: StretchOptions = {
      timeoutMs: details.deadlockTimeoutMs,
      run,
      workflow: definition.name,
      locate: this.#locate,
      during: duringImport,
    };
    const report = validating || this.#sampled();
    // The report closure only for a run whose mutations are reported: a cached run kept it.
    const instance = new SandboxedInstance(run, definition, guard, report ? this.#watched() : undefined, report
      ? (w) =>
        this.#warn({
          kind: "mutation",
          workflow: definition.name,
          rule: `${w.module} ${w.property}`,
          message: `wrote to shared ${w.module} object ${w.property} (${w.change})`,
          module: w.module,
          property: w.property,
          change: w.change,
        })
      : undefined);
    // A run's modules are instantiated (their top-level code runs) in its first activation's
    // stretch, before its jobs: one guarded stretch and one event-loop turn fewer per run. The
    // validation run instantiates now, in a stretch of its own.
    if (validating) await instance.instantiate();
    return instance;
  }

  #sampled(): boolean {
    const rate = this.#options.mutationReport;
    if (typeof rate === "number") return Math.random() < rate;
    return rate === true;
  }

  #watched(): WatchedObject[] {
    const targets = builtInTargets();
    for (const [url, namespace] of this.#graph.hostNamespaces) targets.push(...moduleTargets(url, namespace));
    return targets;
  }

  #isSandboxed(path: string): boolean {
    for (const record of this.#graph.records.values()) if (record.path === path) return true;
    return false;
  }
}

class SandboxedInstance implements WorkflowInstance {
  readonly #run: SandboxRun;
  readonly #definition: WorkflowDefinition;
  #guard: StretchOptions;
  readonly #watched: readonly WatchedObject[] | undefined;
  readonly #report: ((warning: MutationWarning) => void) | undefined;
  #workflow: unknown;
  /** Whether the run's modules were instantiated, and what that threw. */
  #instantiated: false | { readonly ok: true } | { readonly ok: false; readonly error: unknown } = false;
  #disposed = false;
  #interrupted = false;

  constructor(
    run: SandboxRun,
    definition: WorkflowDefinition,
    guard: StretchOptions,
    watched: readonly WatchedObject[] | undefined,
    report: ((warning: MutationWarning) => void) | undefined,
  ) {
    this.#run = run;
    this.#definition = definition;
    this.#guard = guard;
    this.#watched = watched;
    this.#report = report;
  }

  /** The run's own workflow export (read before the first activation, it instantiates the run's modules). */
  get workflow(): unknown {
    if (this.#instantiated === false) {
      const leave = enterRun(this.#run);
      try {
        this.#instantiate();
      } catch {
        // Rethrown by the first activation.
      } finally {
        leave();
      }
    }
    return this.#workflow;
  }

  /** Instantiates the run's modules now, as a guarded stretch (the validation run). */
  async instantiate(): Promise<void> {
    await runStretch(() => this.#instantiate(), this.#guard);
    if (!drainsMicrotasks) await nextMacrotask();
  }

  /** Runs the modules' top-level code (once); rethrows what it threw. */
  #instantiate(): void {
    if (this.#instantiated === false) {
      try {
        this.#workflow = this.#run.importModule(this.#definition.moduleUrl)[this.#definition.exportName];
        this.#instantiated = INSTANTIATED;
      } catch (error) {
        this.#instantiated = { ok: false, error };
      } finally {
        this.#run.importing = false;
      }
    }
    if (!this.#instantiated.ok) throw this.#instantiated.error;
  }

  activate<T>(jobs: ReadonlyArray<ActivationJob<T>>, options: ActivateOptions = {}): Promise<ActivationResult<T>> {
    if (this.#disposed || this.#interrupted) {
      return Promise.reject(codedError(Error, {
        code: "WFS_WORKER_STATE",
        message: this.#interrupted
          ? "This workflow instance was interrupted by the deadlock guard and cannot run again"
          : "This workflow instance was disposed",
        hint: "Create a new instance with runner.createInstance() to activate the workflow again" +
          (this.#interrupted ? " (the worker replays its history into a fresh one)" : ""),
      }));
    }
    // A mutation report compares snapshots around the whole activation: nothing else may run in
    // between. Otherwise each stretch is atomic on its own (its microtasks drain inside it).
    return this.#watched ? runExclusive(() => this.#activate(jobs, options)) : this.#activate(jobs, options);
  }

  async #activate<T>(jobs: ReadonlyArray<ActivationJob<T>>, options: ActivateOptions): Promise<ActivationResult<T>> {
    const compare = this.#watched ? snapshot(this.#watched) : undefined;
    const guard = this.#guard.timeoutMs === options.deadlockTimeoutMs
      ? this.#guard
      : (this.#guard = { ...this.#guard, timeoutMs: options.deadlockTimeoutMs });
    let results: T[];
    try {
      ({ value: results } = await runStretch(() => {
        this.#instantiate();
        // The activation's time, for packages in deterministic mode; the modules were imported at
        // the instance's import time (the run's start time from history).
        if (options.now !== undefined) this.#run.workflowTime = options.now;
        return jobs.map((job) => handled(job(this.#workflow)));
      }, guard));
      if (!drainsMicrotasks) await nextMacrotask();
      while (this.#run.hasPendingImports) {
        const settle = await this.#run.loadPendingImports();
        await runStretch(settle, { ...guard, during: "a dynamically imported module, or what its import resumed" });
        if (!drainsMicrotasks) await nextMacrotask();
      }
    } catch (error) {
      // Termination skipped the workflow's finally blocks and dropped its microtasks.
      if (DeadlockError.is(error)) this.#interrupted = true;
      throw error;
    }
    const mutations = compare ? compare() : [];
    for (const mutation of mutations) this.#report!(mutation);
    return { results, mutations };
  }

  dispose(): void {
    this.#disposed = true;
  }
}

const DEFAULT_DEADLOCK_TIMEOUT_MS = 2000;

/**
 * What a stretch interrupted while its run's modules had not finished their top-level code was
 * running, for the deadlock error. The guard calls it on the stretch's options, whose `run` is the
 * sandbox run: one function for every run instead of a closure kept by each cached run. A run is
 * `importing` exactly until its instantiation ended (`SandboxedInstance.#instantiate`).
 */
function duringImport(this: StretchOptions): string | undefined {
  return this.run?.importing ? "its modules' top-level code" : undefined;
}
// One object for every run whose modules instantiated (an object per run was kept by every cached run).
const INSTANTIATED = Object.freeze({ ok: true } as const);

/** Waits until the run's microtasks drained and its dynamic imports settled. */
export async function drain(run: SandboxRun): Promise<void> {
  for (;;) {
    await nextMacrotask();
    if (!run.hasPendingImports) return;
    await run.settlePendingImports();
  }
}

function selfFolders(root: string): string[] {
  const folder = (name: string) => pathToFileURL(join(root, name)).href + "/";
  const file = (name: string) => pathToFileURL(join(root, name)).href;
  return [folder("dist"), folder("loader"), folder("sandbox"), folder("worker"), file("mod.ts"), file("workflow.ts")];
}
