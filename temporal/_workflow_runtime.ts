/**
 * The Temporal workflow runtime of one worker: the SDK's workflow package (`@temporalio/workflow`,
 * with `@temporalio/common` and their dependencies) instantiated once in a sandboxed run of its own,
 * and the per-workflow runs that instantiate the user's modules.
 *
 * What is shared and what is per run (docs/temporal.md has the reasoning):
 * - Shared by the workflows of a worker: the modules the runtime reaches when it starts
 *   (`worker-interface`, `global-overrides`, the package entry and everything they import), the
 *   SDK's own default interceptor module, and `bundlerOptions.preloadModules`. This is the split
 *   Temporal's default `reuseV8Context` makes (modules evaluated before any workflow exists are
 *   shared), made by a module map the sandbox owns instead of a patched webpack cache. Sharing them
 *   measured 1.5 ms and 119 KB less per workflow than instantiating the SDK in every run.
 * - Per workflow: the workflows module and everything it reaches that the runtime did not load,
 *   the interceptor modules, the payload and failure converter modules, and a global object.
 * - The SDK finds the running workflow through `globalThis.__TEMPORAL_ACTIVATOR__`; here that is
 *   an accessor on the runtime's global object that reads the workflow whose activation runs.
 *   Activations of all workflows run one at a time (the sandbox's process-wide activation queue),
 *   so one slot is enough, as one bag of globals is in Temporal's reusable context.
 * - Host identity (passthrough) is limited to built-ins and what the user passes through: the
 *   worker and the runtime exchange only plain proto-shaped objects and byte arrays, so no SDK
 *   class has to be the host's.
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve as resolvePath, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createBundlerResolver } from "../loader/bundler_resolution.ts";
import { ensureRegistered, register } from "../loader/register.ts";
import { type LoaderServices, sharedLoaderServices } from "../loader/loader_services.ts";
import { codedError } from "../sandbox/coded_error.ts";
import { enterRun } from "../sandbox/current_run.ts";
import { detectCommonJsNamespaceShape } from "../sandbox/esm_interop.ts";
import { freeze } from "../sandbox/host_intrinsics.ts";
import { ModuleGraph } from "../sandbox/module_graph.ts";
import { createPassthroughPolicy } from "../sandbox/passthrough_policy.ts";
import type { GlobalOverrides } from "../sandbox/per_run_global.ts";
import { createRestrictionLayer, type RestrictionLayer } from "../sandbox/restriction_layer.ts";
import { SandboxImportNotificationPolicy } from "../sandbox/import_notification_policy.ts";
import { SandboxMatcher } from "../sandbox/sandbox_matcher.ts";
import { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";
import type { DeterminismSource } from "../sandbox/deterministic_rules.ts";
import { SandboxRun } from "../sandbox/sandbox_run.ts";
import { deduplicated, logWarning, type SandboxWarning } from "../sandbox/sandbox_warning.ts";
import { sdkVersion, workerRoot } from "./_host_sdk.ts";
import {
  type ActivatorView,
  assertGlobal,
  createAsyncLocalStorageClass,
  createForwarder,
  createWorkflowConsole,
} from "./_temporal_globals.ts";
import type { TemporalSandboxOptions } from "./temporal_sandbox_options.ts";

/** The SDK's `@temporalio/workflow/lib/worker-interface` as the runtime's run sees it. */
export interface WorkerInterface {
  initRuntime(options: object): void;
  initialize(job: unknown): void;
  activate(activation: unknown, batchIndex?: number): void;
  concludeActivation(): Record<string, unknown>;
  tryUnblockConditions(): number;
  dispose(): void;
  destroy(): void;
}

/** What the runtime needs from a workflow while its code runs. */
export interface RuntimeWorkflow {
  activator: (ActivatorView & Record<string, unknown>) | undefined;
  readonly run: SandboxRun;
}

/** Options of {@link WorkflowRuntime.prepare}. */
export interface WorkflowRuntimeOptions {
  /** The workflows module (a file, or a folder with an index), as `WorkerOptions.workflowsPath`. */
  readonly workflowsPath: string;
  /** `WorkerOptions.interceptors.workflowModules`. */
  readonly interceptorModules?: readonly string[];
  readonly payloadConverterPath?: string;
  readonly failureConverterPath?: string;
  /** `bundlerOptions.preloadModules`: instantiated once, shared by every workflow. */
  readonly preloadModules?: readonly string[];
  readonly sandbox?: TemporalSandboxOptions;
}

/** The resolved modules of a runtime. */
interface RuntimeUrls {
  readonly workflows: string;
  readonly interceptors: readonly string[];
  readonly payload: string | undefined;
  readonly failure: string | undefined;
}

const CONVERTER_ALIASES = ["__temporal_custom_payload_converter", "__temporal_custom_failure_converter"];

/** The layer of a worker given no restrictions: no rule, no import notification, the environment constants. */
const ENVIRONMENT_ONLY = new SandboxRestrictions({
  passthroughModules: ["workflow-sandbox"],
  invalidModules: SandboxMatcher.none,
  invalidModuleMembers: SandboxMatcher.none,
  importNotificationPolicy: SandboxImportNotificationPolicy.SILENT,
});

/** What the adapter substitutes: the environment only; Date, Math.random and the timers are the SDK's. */
const ENVIRONMENT: ReadonlySet<DeterminismSource> = new Set(["environment"]);

/**
 * One worker's runtime. Created by {@link WorkflowRuntime.prepare}; the creator drives it.
 *
 * @example
 * ```ts
 * import type { WorkflowRuntime } from "workflow-sandbox/temporal";
 * import { SandboxedWorkflowCreator } from "workflow-sandbox/temporal";
 * const creator = await SandboxedWorkflowCreator.create({ workflowsPath: "/app/workflows.ts" });
 * const runtime: WorkflowRuntime = creator.runtime;
 * runtime.sourcesHash; // what the worker's Build ID is derived from
 * ```
 */
export class WorkflowRuntime {
  /** The SDK's worker interface, shared. */
  readonly api: WorkerInterface;
  /** A hash of every module the runtime and the workflows reach, and of the SDK versions. */
  readonly sourcesHash: string;
  /** Files of the modules workflows see from the runtime (for tests and docs). */
  readonly sharedModules: ReadonlySet<string>;
  /** Whether payload or failure converter modules are configured (workflow code in conversions). */
  readonly hasCustomConverters: boolean;
  /** The workflow whose code runs now (the `__TEMPORAL_ACTIVATOR__` slot). */
  current: RuntimeWorkflow | undefined;

  readonly #run: SandboxRun;
  readonly #runtimeGraph: ModuleGraph;
  readonly #graph: ModuleGraph;
  readonly #overrides: GlobalOverrides;
  readonly #layer: RestrictionLayer;
  readonly #globalDestructors: Array<() => void>;

  private constructor(init: {
    run: SandboxRun;
    runtimeGraph: ModuleGraph;
    graph: ModuleGraph;
    api: WorkerInterface;
    shared: ReadonlySet<string>;
    overrides: GlobalOverrides;
    layer: RestrictionLayer;
    globalDestructors: Array<() => void>;
    hash: string;
    hasCustomConverters: boolean;
  }) {
    this.#run = init.run;
    this.#runtimeGraph = init.runtimeGraph;
    this.#graph = init.graph;
    this.api = init.api;
    this.sharedModules = init.shared;
    this.#overrides = init.overrides;
    this.#layer = init.layer;
    this.#globalDestructors = init.globalDestructors;
    this.sourcesHash = init.hash;
    this.hasCustomConverters = init.hasCustomConverters;
  }

  /**
   * Loads and compiles the workflow code and starts the shared runtime: what Temporal's worker
   * does with webpack before anything else.
   */
  static async prepare(options: WorkflowRuntimeOptions): Promise<WorkflowRuntime> {
    const sandbox = options.sandbox ?? {};
    const registration = sandbox.bundlerResolution ? register({ bundlerResolution: true }) : ensureRegistered();
    if (sandbox.bundlerResolution && !registration.bundlerResolution) {
      throw codedError(Error, {
        code: "WFS_INVALID_OPTION",
        message: "Cannot enable bundler resolution ('sandbox.bundlerResolution') as the loader hooks were registered " +
          "without it: they are process-wide and were registered before the worker was created",
        hint: "Start the process with WORKFLOW_SANDBOX_RESOLUTION=bundler, or call register({ bundlerResolution: true }) first",
      }, { option: "sandbox.bundlerResolution" });
    }
    await detectCommonJsNamespaceShape(pathToFileURL(join(registration.root, "sandbox", "_cjs_namespace_probe.cjs")).href);
    const services = sandbox.services ?? sharedLoaderServices();
    const workflowsUrl = resolveWorkflowsPath(options.workflowsPath, "workflowsPath");
    const base = dirname(fileURLToPath(workflowsUrl));
    // The SDK as the workflows resolve it (webpack resolves it next to workflowsPath), else the
    // worker's own copy.
    const sdkFile = (subpath: string) => {
      const specifier = `@temporalio/workflow/${subpath}`;
      let path: string;
      try {
        path = createRequire(fileURLToPath(workflowsUrl)).resolve(specifier);
      } catch {
        path = createRequire(join(workerRoot, "package.json")).resolve(specifier);
      }
      return pathToFileURL(path).href;
    };
    const entries = {
      workerInterface: sdkFile("lib/worker-interface.js"),
      globalOverrides: sdkFile("lib/global-overrides.js"),
      index: sdkFile("lib/index.js"),
    };
    const interceptors = (options.interceptorModules ?? []).map((spec) => resolveModule(spec, base, "interceptors.workflowModules"));
    const urls: RuntimeUrls = {
      workflows: workflowsUrl,
      interceptors,
      payload: options.payloadConverterPath ? resolveModule(options.payloadConverterPath, base, "dataConverter.payloadConverterPath") : undefined,
      failure: options.failureConverterPath ? resolveModule(options.failureConverterPath, base, "dataConverter.failureConverterPath") : undefined,
    };
    // The SDK's own interceptor modules (the worker's default, a no-op kept for compatibility) hold
    // no state: they are shared like the rest of the SDK. The workflow's own are per execution.
    const sdkOwned = (url: string) => fileURLToPath(url).startsWith(join(workerRoot, "lib") + sep);
    const preload = [
      ...interceptors.filter(sdkOwned),
      ...(options.preloadModules ?? []).map((spec) => resolveModule(spec, base, "bundlerOptions.preloadModules")),
    ];

    // --- The shared runtime: its own graph and run, built-ins only from the host. ---------------
    const runtimeGraph = new ModuleGraph(services, createPassthroughPolicy({ modules: [], all: false, scopes: services.scopes }));
    // The workflows' own files compile while the SDK loads: with a cold cache, esbuild's service
    // process boots while the SDK instantiates (the workflows' graph below finds the files
    // compiled, or being compiled).
    const entryCompiled = runtimeGraph.precompile(urls.workflows);
    for (const url of Object.values(entries)) await runtimeGraph.load(url);
    for (const url of preload) await runtimeGraph.load(url);
    const bridge = pathToFileURL(join(registration.root, "temporal", "_converter_bridge.cjs")).href;
    await runtimeGraph.load(bridge);
    // worker-interface requires the converter modules through webpack aliases; the sandbox
    // resolves a module's requires through its record, so the aliases are recorded there.
    const workerInterfaceRecord = runtimeGraph.compileSync(entries.workerInterface);
    for (const alias of CONVERTER_ALIASES) workerInterfaceRecord.deps.set(alias, bridge);

    let runtime: WorkflowRuntime | undefined;
    const activator = () => runtime?.current?.activator;
    const globalDestructors: Array<() => void> = [];
    const AsyncLocalStorage = createAsyncLocalStorageClass(activator, globalDestructors);
    const workflowConsole = freeze(createWorkflowConsole(activator));
    const date = createForwarder("Date", Date);
    const weakRef = createForwarder("WeakRef", WeakRef);
    const finalizationRegistry = createForwarder("FinalizationRegistry", FinalizationRegistry);
    // Math is a constant of every module; the SDK assigns Math.random on it.
    const math = Object.create(Object.getPrototypeOf(Math), Object.getOwnPropertyDescriptors(Math)) as Math;
    const temporal: Record<string, unknown> = {
      importWorkflows: () => runtime!.#requireCurrent().run.importModule(urls.workflows),
      importInterceptors: () => {
        const { run } = runtime!.#requireCurrent();
        return urls.interceptors.map((url) => (shared.has(url) ? runtime!.#sharedView(url, "esm") : run.importModule(url)));
      },
    };
    const converterOf = (url: string | undefined, name: string) => () => {
      if (url === undefined) return undefined;
      return runtime!.#requireCurrent().run.importModule(url)[name];
    };
    // The SDK assigns the timers too. They are accessors of the runtime's own rather than host
    // names assigned on the run's global object: the shared layer's setter for host names
    // (sandbox/per_run_global.ts, `setOwn`) records the value in the layer's descriptor table instead
    // of defining it on the run, so the run would keep the host's setTimeout. A vm context has no
    // timers before the SDK's, hence `undefined` until it assigns them.
    const timers: Record<string, unknown> = { setTimeout: undefined, clearTimeout: undefined };
    const timer = (name: string): PropertyDescriptor => ({
      get: () => timers[name],
      set: (value: unknown) => {
        timers[name] = value;
      },
    });
    const shared = new Set<string>();
    const runtimeOverrides: GlobalOverrides = {
      setTimeout: timer("setTimeout"),
      clearTimeout: timer("clearTimeout"),
      Date: date.descriptor,
      WeakRef: weakRef.descriptor,
      FinalizationRegistry: finalizationRegistry.descriptor,
      Math: { value: math },
      // A vm context has no structuredClone; the SDK's sinks then pass arguments as they are.
      structuredClone: { value: undefined },
      console: { value: workflowConsole, writable: true },
      AsyncLocalStorage: { value: AsyncLocalStorage },
      assert: { value: assertGlobal },
      __TEMPORAL__: { value: temporal },
      __TEMPORAL_ACTIVATOR__: {
        get: activator,
        set: (value: RuntimeWorkflow["activator"]) => {
          const workflow = runtime?.current;
          if (workflow !== undefined) workflow.activator = value;
        },
      },
      __temporal_globalSandboxDestructors: { value: globalDestructors },
      __wfs_temporal_converters__: {
        value: freeze({
          payloadConverter: converterOf(urls.payload, "payloadConverter"),
          failureConverter: converterOf(urls.failure, "failureConverter"),
        }),
      },
    };
    const run = new SandboxRun({
      graph: runtimeGraph,
      overrides: runtimeOverrides,
      workflowName: "@temporalio/workflow runtime",
      onModule: (event) => {
        if (!event.passthrough && event.stage === "instantiated") shared.add(event.url);
      },
    });
    for (const forwarder of [date, weakRef, finalizationRegistry]) forwarder.constantsRead();
    const leave = enterRun(run);
    let api: WorkerInterface;
    try {
      // The order of Temporal's generated entrypoint (bundler.ts: genEntrypoint): worker-interface
      // captures the original Date and Math.random, then overrideGlobals() replaces them.
      api = run.importModule(entries.workerInterface) as unknown as WorkerInterface;
      temporal.api = api;
      (run.importModule(entries.globalOverrides) as { overrideGlobals(): void }).overrideGlobals();
      run.importModule(entries.index);
      for (const url of preload) run.importModule(url);
    } finally {
      run.importing = false;
      leave();
    }
    for (const url of [...Object.values(entries), ...preload]) shared.add(url);
    // What every workflow shares is frozen, as Temporal freezes its shared context.
    freeze(date.value);
    freeze(weakRef.value);
    freeze(finalizationRegistry.value);
    freeze(math);
    freeze(temporal);

    // --- The workflows' graph: the shared modules are served from the runtime. -------------------
    const restrictions = sandbox.restrictions;
    const passthrough = expandSelf([...(restrictions?.passthroughModules ?? ["workflow-sandbox"])], registration.root);
    const graph = new ModuleGraph(
      services,
      createPassthroughPolicy({
        modules: [...passthrough, ...shared],
        all: restrictions?.passthroughAllModules ?? false,
        scopes: services.scopes,
      }),
    );
    await entryCompiled;
    for (const url of [urls.workflows, ...urls.interceptors, urls.payload, urls.failure]) {
      if (url !== undefined) await graph.load(url);
    }
    const warn = deduplicated(sandbox.onWarning ?? logWarning);
    // Always a layer, for the environment constants (immer and yaml read process.env as under
    // Temporal's webpack bundle, built with mode "development"); without restrictions it has no
    // rule. The SDK keeps its own clock and PRNG: only the environment is substituted.
    const layered = restrictions ?? ENVIRONMENT_ONLY;
    const layer = createRestrictionLayer({
      restrictions: sandbox.determinism ? layered.withDeterminism(sandbox.determinism) : layered,
      isSandboxedFile: (path) => [...graph.records.values()].some((record) => record.path === path),
      scopes: services.scopes,
      warn: warn as (warning: SandboxWarning) => void,
      sources: ENVIRONMENT,
    });
    layer.addWorkflowModule(fileURLToPath(urls.workflows));

    // The globals every workflow run gets: the runtime's, after the SDK replaced them.
    const workflowOverrides: GlobalOverrides = {
      Date: { value: date.value },
      WeakRef: { value: weakRef.value },
      FinalizationRegistry: { value: finalizationRegistry.value },
      Math: { value: math },
      setTimeout: { value: timers.setTimeout },
      clearTimeout: { value: timers.clearTimeout },
      // Temporal's context has no other timers: calling one fails, as it does there.
      setInterval: { value: undefined },
      clearInterval: { value: undefined },
      setImmediate: { value: undefined },
      clearImmediate: { value: undefined },
      console: { value: workflowConsole, writable: true },
      AsyncLocalStorage: { value: AsyncLocalStorage },
      assert: { value: assertGlobal },
      __TEMPORAL_ACTIVATOR__: { get: activator },
    };

    const hash = createHash("sha256");
    for (const name of ["@temporalio/workflow", "@temporalio/worker", "@temporalio/common"]) {
      hash.update(`${name}@${sdkVersion(name)}\n`);
    }
    hash.update(`workflow-sandbox@${registration.version}\n`);
    const files = new Set<string>();
    for (const each of [runtimeGraph, graph]) for (const record of each.records.values()) files.add(record.path);
    for (const file of [...files].sort()) {
      hash.update(`${file}\n`);
      hash.update(readFileSync(file));
    }

    runtime = new WorkflowRuntime({
      run,
      runtimeGraph,
      graph,
      api,
      shared,
      overrides: workflowOverrides,
      layer,
      globalDestructors,
      hash: hash.digest("hex"),
      hasCustomConverters: urls.payload !== undefined || urls.failure !== undefined,
    });
    return runtime;
  }

  /** Creates the run of one workflow: its global object and, later, its own module instances. */
  createRun(workflowType: string): SandboxRun {
    const layer = this.#layer.createRun();
    // The SDK's values win over the restriction layer's for the names the SDK defines.
    const overrides = { ...layer.globals, ...this.#overrides };
    return new SandboxRun({
      graph: this.#graph,
      overrides,
      // The layer's other restricted globals, shared by the runs; the SDK's own values above are
      // the run's own properties, which take precedence.
      shared: layer.shared,
      attach: layer.attach,
      workflowName: workflowType,
      onModule: layer.onModule,
      packages: layer.packages,
      hostModuleFilter: (url, value, view) => {
        if (this.sharedModules.has(url)) return this.#sharedView(url, view);
        return layer.hostModuleFilter(url, value, view);
      },
    });
  }

  /** Runs the SDK's `destroy()` (the runtime-wide destructors). */
  destroy(): void {
    this.current = undefined;
    const leave = enterRun(this.#run);
    try {
      this.api.destroy();
    } finally {
      leave();
    }
  }

  #sharedView(url: string, view: "esm" | "cjs"): unknown {
    const namespace = this.#run.importModule(url);
    if (view === "esm") return namespace;
    return this.#runtimeGraph.records.get(url)?.kind === "esm" ? namespace : (namespace as { default: unknown }).default;
  }

  #requireCurrent(): RuntimeWorkflow {
    const workflow = this.current;
    if (workflow === undefined) {
      throw codedError(Error, {
        code: "WFS_INTERNAL",
        message: "The Temporal workflow runtime was called outside of a workflow (no workflow's activation is running)",
        hint: "Report it with the whole error and the versions of @temporalio/worker and workflow-sandbox",
      });
    }
    return workflow;
  }
}

const fileExists = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
const isDirectory = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
const bundler = createBundlerResolver({ fileExists, isDirectory });

/**
 * The file URL of a module path of the worker options (`workflowsPath`, or a path `option` names):
 * a file, a file without its extension, or a folder's index.
 */
function resolveWorkflowsPath(path: string, option: string): string {
  const absolute = resolvePath(path);
  const url = bundler.resolve(pathToFileURL(absolute).href, undefined);
  if (url === undefined) {
    const what = option === "workflowsPath" ? "the workflows module" : `the module of WorkerOptions.${option}`;
    throw codedError(Error, {
      code: "WFS_INVALID_OPTION",
      message: `Cannot find ${what} '${path}'${absolute === path ? "" : ` (looked at '${absolute}')`}: no file, ` +
        "no file with a known extension and no folder index there",
      hint: option === "workflowsPath"
        ? "Pass WorkerOptions.workflowsPath as an absolute path (require.resolve('./workflows'))"
        : `Pass WorkerOptions.${option} as an absolute path, a path relative to the workflows module's folder, or a package name`,
    }, { option });
  }
  return url;
}

/** A module named in worker options: a path (relative to the workflows folder) or a package. */
function resolveModule(specifier: string, base: string, option: string): string {
  if (specifier.startsWith("file:")) return resolveWorkflowsPath(fileURLToPath(specifier), option);
  if (isAbsolute(specifier) || specifier.startsWith(".")) return resolveWorkflowsPath(resolvePath(base, specifier), option);
  return pathToFileURL(createRequire(join(base, "noop.js")).resolve(specifier)).href;
}

/** The package itself passes through by its folders, as in SandboxedWorkflowRunner. */
function expandSelf(modules: string[], root: string): string[] {
  const at = modules.indexOf("workflow-sandbox");
  if (at < 0) return modules;
  const folder = (name: string) => pathToFileURL(join(root, name)).href + "/";
  const file = (name: string) => pathToFileURL(join(root, name)).href;
  modules.splice(at, 1, folder("dist"), folder("loader"), folder("sandbox"), folder("worker"), file("mod.ts"), file("workflow.ts"));
  return modules;
}
