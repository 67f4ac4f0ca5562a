// One baseline of bench/core_bench.ts, run in a process of its own:
//   <runtime> <same flags> bench/_core_child.ts <baseline> [--quick] [entry URL]
// It prints one `BENCH_RESULT <json>` line (bench/_spawn.ts).
import { createRequire } from "node:module";
import process from "node:process";
import { discoverWorkflows, SandboxedWorkflowRunner, type WorkflowRunner } from "workflow-sandbox";
import { benchJob, createRunner, createUrlRun, createVmRun, prepared, RESTRICTIONS, WORKFLOW_URL } from "./_baselines.ts";
import { report } from "./_spawn.ts";
import { type Counts, now, type Phases, requireGc, runnerIteration, settledHeap, timePhases } from "./_timing.ts";

const trivialJob = (workflow: unknown) => (workflow as (seed: number) => Promise<number>)(7);

/** A runner (sandboxed or not) on a workflow. */
async function runner(counts: Counts, kind: "sandboxed" | "unsandboxed", url: string, job: (wf: unknown) => unknown): Promise<Phases> {
  const runner: WorkflowRunner = createRunner(kind);
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
  const vmRun = await createVmRun();
  let contextMs = 0;
  let measuring = 0;
  const phases = await timePhases(counts, async (phases) => {
    const { value, createMs, activateMs, contextMs: contextOnlyMs } = await vmRun();
    phases[0] += createMs;
    phases[1] += activateMs;
    if (++measuring > counts.warmup) contextMs += contextOnlyMs;
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
  const one = await createUrlRun(); // two warm-up runs, checked to be two module instances
  const gc = requireGc();
  const before = await settledHeap(gc);
  let result: unknown;
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
