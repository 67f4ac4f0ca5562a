// The baselines that bench/_core_child.ts (the core bench) and bench/_chart_child.ts (the chart)
// both measure: the bench workflow (bench/workflow: four modules, zod passed through) run by the
// sandboxed and the unsandboxed runner, in a fresh `vm` context per run, and under a module URL
// per run. Each function sets a baseline up and returns one run of it; the callers time them.
import { createRequire } from "node:module";
import * as nodeModule from "node:module";
import vm from "node:vm";
import {
  DEFAULT_PASSTHROUGH,
  discoverWorkflows,
  register,
  SandboxedWorkflowRunner,
  UnsandboxedWorkflowRunner,
  type WorkflowDefinition,
  type WorkflowRunner,
} from "workflow-sandbox";
import { benchInput } from "./_bench_input.ts";
import { nextMacrotask, now } from "./_timing.ts";

/** The bench workflow's entry module. */
export const WORKFLOW_URL = new URL("./workflow/workflow.ts", import.meta.url).href;

/** Every baseline passes the same modules through: the defaults plus zod. */
export const RESTRICTIONS = { passthroughModules: [...DEFAULT_PASSTHROUGH, "zod"], passthroughAllModules: false };

const input = benchInput();

/** The bench workflow's job: `orderReport(input)`. */
export const benchJob = (workflow: unknown) => (workflow as (input: unknown) => Promise<string>)(input);

/** Discovers the first workflow of `url` and prepares it on `runner`. */
export async function prepared(runner: WorkflowRunner, url: string): Promise<WorkflowDefinition> {
  const [definition] = await discoverWorkflows(url);
  if (!definition) throw new Error(`No workflow is exported by '${url}'`);
  await runner.prepare(definition);
  return definition;
}

/** A runner of either kind, with the bench restrictions for the sandboxed one. */
export function createRunner(kind: "sandboxed" | "unsandboxed"): WorkflowRunner {
  return kind === "sandboxed" ? new SandboxedWorkflowRunner({ restrictions: RESTRICTIONS }) : new UnsandboxedWorkflowRunner();
}

/** Times of one run of the `vm` baseline, in milliseconds. */
export interface VmRunTimes {
  readonly value: unknown;
  /** `vm.createContext` + evaluating the bundle in it. */
  readonly createMs: number;
  /** The job and a macrotask hop, as `activate` does. */
  readonly activateMs: number;
  /** `vm.createContext` alone. */
  readonly contextMs: number;
}

/**
 * A fresh `vm` context per run evaluating the same four modules, bundled once by esbuild (zod and
 * workflow-sandbox external, handed in from the host as the sandbox passes them through) and
 * compiled once into one `vm.Script`.
 */
export async function createVmRun(): Promise<() => Promise<VmRunTimes>> {
  const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
  const bundle = await esbuild.build({
    entryPoints: [new URL(WORKFLOW_URL).pathname],
    bundle: true,
    write: false,
    format: "cjs",
    platform: "neutral",
    target: "es2022",
    keepNames: true, // as the functor compiler does
    external: ["zod", "workflow-sandbox"],
    logLevel: "silent",
  });
  const script = new vm.Script(`(function (require, module, exports) {\n${bundle.outputFiles[0].text}\n})`, {
    filename: "bench-workflow.vm.js",
  });
  const host: Record<string, unknown> = { zod: await import("zod"), "workflow-sandbox": await import("workflow-sandbox") };
  const hostRequire = (id: string) => {
    if (!(id in host)) throw new Error(`The vm baseline cannot require '${id}'`);
    return host[id];
  };
  return async () => {
    const t0 = now();
    const context = vm.createContext({});
    const tc = now();
    const factory = script.runInContext(context) as (require: unknown, module: unknown, exports: unknown) => void;
    const module = { exports: {} as Record<string, unknown> };
    factory(hostRequire, module, module.exports);
    const t1 = now();
    const pending = benchJob(module.exports.orderReport);
    await nextMacrotask();
    const value = await pending;
    const t2 = now();
    return { value, createMs: t1 - t0, activateMs: t2 - t1, contextMs: tc - t0 };
  };
}

/**
 * A module URL per run: `import(entry + "?run=" + run)`, with a resolve hook that gives the entry's
 * imports from its folder the same query, so all four modules are fresh (zod and workflow-sandbox
 * stay shared). These module instances are never freed: callers cap the number of runs.
 */
export async function createUrlRun(): Promise<(run: number | string) => Promise<unknown>> {
  const folder = new URL("./workflow/", import.meta.url).href;
  const hooksUrl = new URL("./_run_query_hooks.mjs", import.meta.url);
  // Hook the way workflow-sandbox does: in-thread hooks.
  register();
  const hooks = await import(hooksUrl.href) as { createSyncResolve(folder: string): unknown };
  (nodeModule as unknown as { registerHooks(hooks: object): unknown }).registerHooks({ resolve: hooks.createSyncResolve(folder) });
  const one = async (run: number | string) => {
    const namespace = await import(`${WORKFLOW_URL}?run=${run}`) as { orderReport: (input: unknown) => Promise<string> };
    const pending = namespace.orderReport(input);
    await nextMacrotask();
    return pending;
  };
  await one("check-1");
  await one("check-2");
  if ((await import(`${WORKFLOW_URL}?run=check-1`)).orderReport === (await import(`${WORKFLOW_URL}?run=check-2`)).orderReport) {
    throw new Error("The per-run URL baseline gave two runs one module instance");
  }
  return one;
}
