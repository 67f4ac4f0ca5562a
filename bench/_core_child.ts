// One baseline of bench/core_bench.ts, run in a process of its own:
//   <runtime> <same flags> bench/_core_child.ts <baseline> [--quick] [entry URL]
// It prints one `BENCH_RESULT <json>` line (bench/_spawn.ts).
import { createRequire } from "node:module";
import * as nodeModule from "node:module";
import process from "node:process";
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
import { report } from "./_spawn.ts";
import {
  type Counts,
  nextMacrotask,
  now,
  type Phases,
  requireGc,
  runnerIteration,
  settledHeap,
  timePhases,
} from "./_timing.ts";

const WORKFLOW_URL = new URL("./workflow/workflow.ts", import.meta.url).href;

// Every baseline passes the same modules through: the defaults plus zod.
const RESTRICTIONS = { passthroughModules: [...DEFAULT_PASSTHROUGH, "zod"], passthroughAllModules: false };

const input = benchInput();
const benchJob = (workflow: unknown) => (workflow as (input: unknown) => Promise<string>)(input);
const trivialJob = (workflow: unknown) => (workflow as (seed: number) => Promise<number>)(7);

async function prepared(runner: WorkflowRunner, url: string): Promise<WorkflowDefinition> {
  const [definition] = await discoverWorkflows(url);
  if (!definition) throw new Error(`No workflow is exported by '${url}'`);
  await runner.prepare(definition);
  return definition;
}

/** A runner (sandboxed or not) on a workflow. */
async function runner(counts: Counts, kind: "sandboxed" | "unsandboxed", url: string, job: (wf: unknown) => unknown): Promise<Phases> {
  const runner = kind === "sandboxed" ? new SandboxedWorkflowRunner({ restrictions: RESTRICTIONS }) : new UnsandboxedWorkflowRunner();
  return timePhases(counts, runnerIteration(runner, await prepared(runner, url), job));
}

/**
 * A fresh `vm` context per run evaluating the same four modules, bundled once by esbuild (zod and
 * workflow-sandbox external, handed in from the host as the sandbox passes them through) and
 * compiled once into one `vm.Script`. Create = `vm.createContext` + evaluating the bundle in it;
 * activate = the job and a macrotask hop, as `activate` does. `contextUs`: `vm.createContext`
 * alone, the isolation mechanism without the modules' own work.
 */
async function vmContext(counts: Counts): Promise<Phases & { contextUs: number }> {
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
  let contextMs = 0;
  let measuring = 0;
  const phases = await timePhases(counts, async (phases) => {
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
    phases[0] += t1 - t0;
    phases[1] += t2 - t1;
    if (++measuring > counts.warmup) contextMs += tc - t0;
    return value;
  });
  return { ...phases, contextUs: (contextMs / (counts.rounds * counts.perRound)) * 1000 };
}

/**
 * A module URL per run: `import(entry + "?run=" + i)`, with a resolve hook that gives the entry's
 * imports from its folder the same query, so all four modules are fresh (zod and workflow-sandbox
 * stay shared). Capped: these module instances are never freed.
 */
async function perRunUrl(runs: number): Promise<{ totalUs: number; heapPerRunBytes: number; runs: number; result: string }> {
  const folder = new URL("./workflow/", import.meta.url).href;
  const hooksUrl = new URL("./_run_query_hooks.mjs", import.meta.url);
  // Hook the way workflow-sandbox did: in-thread hooks where they work, off-thread ones otherwise.
  if (register().mode === "registerHooks") {
    const hooks = await import(hooksUrl.href) as { createSyncResolve(folder: string): unknown };
    (nodeModule as unknown as { registerHooks(hooks: object): unknown }).registerHooks({ resolve: hooks.createSyncResolve(folder) });
  } else {
    nodeModule.register(hooksUrl, { data: { folder } });
  }
  const gc = requireGc();
  const one = async (run: number | string) => {
    const namespace = await import(`${WORKFLOW_URL}?run=${run}`) as { orderReport: (input: unknown) => Promise<string> };
    const pending = namespace.orderReport(input);
    await nextMacrotask();
    return pending;
  };
  const first = await one("warmup-1");
  if ((await import(`${WORKFLOW_URL}?run=warmup-1`)).orderReport === (await import(`${WORKFLOW_URL}?run=warmup-2`)).orderReport) {
    throw new Error("The per-run URL baseline gave two runs one module instance");
  }
  await one("warmup-2");
  const before = await settledHeap(gc);
  let result = first;
  const started = now();
  for (let i = 0; i < runs; i++) result = await one(i);
  const elapsed = now() - started;
  const after = await settledHeap(gc);
  return { totalUs: (elapsed / runs) * 1000, heapPerRunBytes: (after - before) / runs, runs, result: String(result) };
}

/** Heap after GC at each checkpoint (runs) of sandboxed runs of the bench workflow. */
async function heap(checkpoints: readonly number[]): Promise<{ points: Array<[number, number]>; perRunUs: number; result: string }> {
  const gc = requireGc();
  const runner = new SandboxedWorkflowRunner({ restrictions: RESTRICTIONS });
  const definition = await prepared(runner, WORKFLOW_URL);
  const points: Array<[number, number]> = [];
  let done = 0;
  let result: unknown;
  let running = 0;
  for (const checkpoint of checkpoints) {
    const started = now();
    for (; done < checkpoint; done++) {
      const instance = await runner.createInstance({ definition });
      const { results } = await instance.activate([benchJob]);
      result = await results[0]; // and discarded
      instance.dispose();
    }
    running += now() - started;
    points.push([checkpoint, await settledHeap(gc)]);
  }
  return { points, perRunUs: (running / done) * 1000, result: String(result) };
}

/**
 * Warm start: from `new SandboxedWorkflowRunner()` to `prepare` resolved, after zod (the
 * passthrough) was imported; discovery (the host's own import of the workflow) is timed on its own.
 * `esbuildLoaded`: whether esbuild was started, which a warm cache never needs.
 */
async function warm(): Promise<{ discoverMs: number; readyMs: number; esbuildLoaded: boolean | undefined }> {
  await import("zod");
  const t0 = now();
  const [definition] = await discoverWorkflows(WORKFLOW_URL);
  const t1 = now();
  const runner = new SandboxedWorkflowRunner({ restrictions: RESTRICTIONS });
  await runner.prepare(definition);
  const t2 = now();
  let esbuildLoaded: boolean | undefined;
  try {
    esbuildLoaded = Object.keys(createRequire(import.meta.url).cache).some((path) => /[\\/]esbuild(-wasm)?[\\/]lib[\\/]main\.js$/.test(path));
  } catch {
    // no CommonJS cache to look at on this runtime
  }
  return { discoverMs: t1 - t0, readyMs: t2 - t1, esbuildLoaded };
}

const COUNTS: Record<"full" | "quick", Record<"bench" | "trivial" | "vm", Counts>> = {
  full: {
    bench: { warmup: 300, rounds: 7, perRound: 400 },
    trivial: { warmup: 1000, rounds: 7, perRound: 1500 },
    vm: { warmup: 30, rounds: 7, perRound: 80 },
  },
  quick: {
    bench: { warmup: 20, rounds: 3, perRound: 20 },
    trivial: { warmup: 50, rounds: 3, perRound: 100 },
    vm: { warmup: 5, rounds: 3, perRound: 10 },
  },
};
const HEAP_CHECKPOINTS = { full: [25_000, 50_000, 100_000, 200_000], quick: [250, 500, 1000, 2000] };
const URL_RUNS = { full: 1000, quick: 100 };

const [baseline, ...rest] = process.argv.slice(2);
const mode = rest.includes("--quick") ? "quick" : "full";
const [url] = rest.filter((arg) => arg !== "--quick");
const counts = COUNTS[mode];
switch (baseline) {
  case "sandboxed":
    report(await runner(counts.bench, "sandboxed", WORKFLOW_URL, benchJob));
    break;
  case "unsandboxed":
    report(await runner(counts.bench, "unsandboxed", WORKFLOW_URL, benchJob));
    break;
  case "modules":
    report(await runner(counts.trivial, "sandboxed", url, trivialJob));
    break;
  case "unsandboxed-trivial":
    report(await runner(counts.trivial, "unsandboxed", url, trivialJob));
    break;
  case "vm":
    report(await vmContext(counts.vm));
    break;
  case "url":
    report(await perRunUrl(URL_RUNS[mode]));
    break;
  case "heap":
    report(await heap(HEAP_CHECKPOINTS[mode]));
    break;
  case "warm":
    report(await warm());
    break;
  default:
    throw new Error(
      `Unknown baseline '${baseline}': pass sandboxed, unsandboxed, modules, unsandboxed-trivial, vm, url, heap or warm`,
    );
}
