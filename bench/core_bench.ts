// The core bench (issue 2): what a sandboxed run costs, against the unsandboxed runner, a fresh
// `vm` context and a module URL per run, plus retained heap, warm start and process time.
//
//   node --import ./dist/register.js bench/core_bench.ts [--quick] [--json]      (npm run bench, after the build)
//   node --conditions=workflow-sandbox-source --import ./dist/register.js bench/core_bench.ts   (the sources)
//   deno run -A bench/core_bench.ts [--quick] [--json]
//
// Every baseline runs in a child process of its own, started with this process's runtime and
// flags (bench/_core_child.ts). `--quick` makes a smoke run for CI: small counts, no target judged.
// `--json` prints one JSON object instead of the report. docs/benchmarks.md explains each figure.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { bytes, linearFit, median, ms, times, us } from "./_stats.ts";
import { childCommand, emptyCommand, run, runChild } from "./_spawn.ts";
import type { Phases } from "./_timing.ts";
import { writeTrivialWorkflow } from "./_generated_workflows.ts";
import { isDeno, runtimeName } from "../loader/runtime.ts";

const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");
const CHILD = new URL("./_core_child.ts", import.meta.url);
const MODULE_COUNTS = [1, 4, 16];
const WARM_STARTS = quick ? 1 : 3;
const PROCESS_RUNS = quick ? 1 : 3;

const runtime = runtimeName;
const cores = typeof availableParallelism === "function" ? availableParallelism() : cpus().length;
const started = performance.now();
const loadAtStart = loadavg()[0];

function progress(message: string): void {
  if (!json) process.stderr.write(`bench: ${message}\n`);
}

async function child<T>(label: string, args: string[], options: { heapFlags?: boolean; env?: Record<string, string> } = {}): Promise<T> {
  progress(label);
  return runChild<T>(CHILD, quick ? [...args, "--quick"] : args, options);
}

type Warm = { discoverMs: number; readyMs: number; esbuildLoaded: boolean | undefined };
type Heap = { points: Array<[number, number]>; perRunUs: number; result: string };
type PerRunUrl = { totalUs: number; heapPerRunBytes: number; runs: number; result: string };

// Prime the transform cache (and prove the workflow runs) in a throwaway process.
await child<Warm>("priming the transform cache", ["warm"]);

const sandboxed = await child<Phases>("sandboxed runner", ["sandboxed"]);
const unsandboxed = await child<Phases>("unsandboxed runner", ["unsandboxed"]);
const vm = await child<Phases & { contextUs: number }>("fresh vm context per run", ["vm"]);
const url = await child<PerRunUrl>("module URL per run", ["url"], { heapFlags: true });

const packageUrl = import.meta.resolve("workflow-sandbox");
const entries = MODULE_COUNTS.map((count) => writeTrivialWorkflow(count, packageUrl));
// Two passes in opposite orders (one in --quick), keeping the faster child per count, so that a
// change in the machine's load during the passes does not tilt the slope.
const passes: Phases[][] = MODULE_COUNTS.map(() => []);
const orders = quick ? [MODULE_COUNTS] : [MODULE_COUNTS, [...MODULE_COUNTS].reverse()];
for (const [pass, order] of orders.entries()) {
  for (const count of order) {
    const i = MODULE_COUNTS.indexOf(count);
    passes[i].push(await child<Phases>(`sandboxed runner, ${count} trivial module(s), pass ${pass + 1}/${orders.length}`, ["modules", entries[i]]));
  }
}
const byModules = passes.map((runs) => runs.reduce((best, next) => (next.totalUs < best.totalUs ? next : best)));
const floor = await child<Phases>("unsandboxed runner, 1 trivial module", ["unsandboxed-trivial", entries[0]]);

const heap = await child<Heap>("retained heap (the longest step)", ["heap"], { heapFlags: true });

const warmStarts: Warm[] = [];
for (let i = 0; i < WARM_STARTS; i++) warmStarts.push(await child<Warm>(`warm start ${i + 1}/${WARM_STARTS}`, ["warm"]));
const coldDir = mkdtempSync(join(tmpdir(), "workflow-sandbox-bench-cold-"));
let cold: Warm;
try {
  cold = await child<Warm>("cold start (empty transform cache)", ["warm"], { env: { WORKFLOW_SANDBOX_CACHE_DIR: coldDir } });
} finally {
  rmSync(coldDir, { recursive: true, force: true });
}

progress("process time");
const tinyWorker = childCommand(new URL("./_tiny_worker.ts", import.meta.url));
await run(tinyWorker); // warm its cache entries
const workerWall: number[] = [];
const emptyWall: number[] = [];
for (let i = 0; i < PROCESS_RUNS; i++) {
  emptyWall.push((await run(emptyCommand())).wallMs);
  workerWall.push((await run(tinyWorker)).wallMs);
}

// Every baseline must have done the same work.
const results = { sandboxed: sandboxed.result, unsandboxed: unsandboxed.result, vm: vm.result, url: url.result, heap: heap.result };
for (const [name, result] of Object.entries(results)) {
  if (result !== sandboxed.result) throw new Error(`The ${name} baseline returned another result than the sandboxed runner: ${result}`);
}

// Per-module cost and fixed cost: a line through (modules, time per run). The fixed cost is what a
// sandboxed run adds at zero modules over the unsandboxed runner's activation of the same trivial
// workflow (the job and the macrotask hop that every runner pays).
const totalFit = linearFit(MODULE_COUNTS, byModules.map((phases) => phases.totalUs));
const createFit = linearFit(MODULE_COUNTS, byModules.map((phases) => phases.createUs + phases.disposeUs));
const activateFit = linearFit(MODULE_COUNTS, byModules.map((phases) => phases.activateUs));
const fixedUs = totalFit.intercept - floor.activateUs;
const perModuleUs = totalFit.slope;
const isolationUs = fixedUs + 4 * perModuleUs; // the sandbox's own cost for a four-module workflow
const heapFit = linearFit(heap.points.map(([runs]) => runs), heap.points.map(([, used]) => used));
const warmReadyMs = median(warmStarts.map((warm) => warm.readyMs));
const warmDiscoverMs = median(warmStarts.map((warm) => warm.discoverMs));
const processMs = median(workerWall) - median(emptyWall);

const ratios = {
  vmPerRun: vm.totalUs / sandboxed.totalUs,
  vmInstantiation: vm.createUs / (sandboxed.createUs + sandboxed.disposeUs),
  vmMechanism: vm.contextUs / isolationUs,
  urlPerRun: url.totalUs / sandboxed.totalUs,
  sandboxedPerUnsandboxed: sandboxed.totalUs / unsandboxed.totalUs,
};

const targets = [
  { name: "fixed cost per run", value: fixedUs, unit: "µs", limit: "<= 10 µs", pass: fixedUs <= 10 },
  { name: "cost per small module", value: perModuleUs, unit: "µs", limit: "<= 5 µs", pass: perModuleUs <= 5 },
  {
    name: "below a fresh vm context (vm.createContext / sandbox fixed + 4 modules)",
    value: ratios.vmMechanism,
    unit: "x",
    limit: ">= 50x",
    pass: ratios.vmMechanism >= 50,
  },
  { name: "retained heap per run", value: heapFit.slope, unit: "B", limit: "< 1 B", pass: heapFit.slope < 1 },
  { name: "warm start (new runner to prepare resolved)", value: warmReadyMs, unit: "ms", limit: "< 50 ms", pass: warmReadyMs < 50 },
];

const output = {
  runtime,
  flags: isDeno ? ["run", "-A"] : process.execArgv,
  cores,
  quick,
  loadAverage: { start: loadAtStart, end: loadavg()[0] },
  benchSeconds: (performance.now() - started) / 1000,
  benchWorkflow: { sandboxed, unsandboxed, vm, url },
  modules: MODULE_COUNTS.map((count, i) => ({ count, ...byModules[i], passesUs: passes[i].map((phases) => phases.totalUs) })),
  unsandboxedFloor: floor,
  fits: { totalFit, createFit, activateFit },
  fixedUs,
  perModuleUs,
  isolationUs,
  heap: { ...heap, bytesPerRun: heapFit.slope },
  warm: { readyMs: warmReadyMs, discoverMs: warmDiscoverMs, runs: warmStarts, cold },
  process: { workerMs: median(workerWall), emptyMs: median(emptyWall), differenceMs: processMs, workerWall, emptyWall },
  ratios,
  targets: targets.map((target) => ({ ...target, pass: quick ? null : target.pass })),
};

if (json) {
  console.log(JSON.stringify(output, null, 2));
} else {
  const row = (cells: Array<string | number>, widths: number[]) =>
    cells.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join("  ");
  const widths = [34, 11, 11, 11, 11];
  const phaseRow = (name: string, phases: Pick<Phases, "createUs" | "activateUs" | "disposeUs" | "totalUs" | "cpuUs">) =>
    row([name, us(phases.createUs + phases.disposeUs), us(phases.activateUs), us(phases.totalUs), us(phases.cpuUs)], widths);
  const spread = (phases: Phases) => `rounds ${us(Math.min(...phases.roundsUs))} to ${us(Math.max(...phases.roundsUs))}`;
  const lines = [
    `workflow-sandbox core bench: ${runtime} on ${process.platform}-${process.arch}, ${cores} cores` +
    `${quick ? " (--quick: small counts, targets not judged)" : ""}`,
    `flags: ${output.flags.join(" ") || "(none)"}; load average ${loadAtStart.toFixed(2)} at start, ` +
    `${output.loadAverage.end.toFixed(2)} at end${loadAtStart > cores ? " (the machine was busy: times are inflated)" : ""}`,
    `each baseline ran in its own child process; times are the median over rounds of the mean per run`,
    ``,
    `Bench workflow (bench/workflow: 4 modules, zod passed through), per run`,
    row(["", "create", "activate", "total", "cpu"], widths),
    `${phaseRow("sandboxed runner", sandboxed)}   ${spread(sandboxed)}`,
    `${phaseRow("unsandboxed runner", unsandboxed)}   ${spread(unsandboxed)}`,
    `${phaseRow("fresh vm context", vm)}   vm.createContext alone ${us(vm.contextUs)}`,
    `${row(["module URL per run", "", "", us(url.totalUs), ""], widths)}   heap growth ${bytes(url.heapPerRunBytes)} per run (${url.runs} runs)`,
    `  create = createInstance + dispose (vm: new context + evaluating the bundle; URL: import());`,
    `  activate = the job until quiescent, including one macrotask hop; total = create + activate;`,
    `  cpu = process CPU time per run, all threads (GC and compiler threads too): the machine's load barely moves it`,
    ``,
    `Sandboxed runner by module count (generated trivial modules), per run${quick ? "" : ": the faster of two children per count"}`,
    row(["modules", "create", "activate", "total", "cpu"], widths),
    ...MODULE_COUNTS.map((count, i) => phaseRow(String(count), byModules[i])),
    phaseRow("unsandboxed runner, 1 module", floor),
    `  total = ${us(totalFit.intercept)} + ${us(totalFit.slope)} x modules;` +
    ` create = ${us(createFit.intercept)} + ${us(createFit.slope)} x modules;` +
    ` activate = ${us(activateFit.intercept)} + ${us(activateFit.slope)} x modules`,
    `  fixed cost = total at 0 modules - unsandboxed activate = ${us(totalFit.intercept)} - ${us(floor.activateUs)} = ${us(fixedUs)}`,
    `  per-module cost = slope of total = ${us(perModuleUs)}`,
    ``,
    `Retained heap (sandboxed runs of the bench workflow, create + activate + dispose, result discarded)`,
    ...heap.points.map(([runs, used], i) => {
      const previous = heap.points[i - 1];
      const step = previous ? `   (${bytes((used - previous[1]) / (runs - previous[0]))} per run since ${previous[0]})` : "";
      return `  after ${String(runs).padStart(7)} runs: ${bytes(used)} heap used after GC${step}`;
    }),
    `  slope (least squares over the ${heap.points.length} points) ${bytes(heapFit.slope)} per run (${us(heap.perRunUs)} per run while measuring)`,
    ``,
    `Start`,
    `  warm start, new runner to prepare resolved: ${ms(warmReadyMs)} (median of ${WARM_STARTS};` +
    ` esbuild started: ${warmStarts.some((warm) => warm.esbuildLoaded) ? "yes" : "no"})`,
    `  discovery (host import of the workflow, zod already imported): ${ms(warmDiscoverMs)}`,
    `  cold start (empty transform cache): discovery ${ms(cold.discoverMs)}, new runner to prepare resolved ${ms(cold.readyMs)}`,
    `  process time of a tiny worker minus ${isDeno ? "`deno eval 0`" : "`node -e 0`"}: ` +
    `${ms(median(workerWall))} - ${ms(median(emptyWall))} = ${ms(processMs)}`,
    ``,
    `Ratios`,
    `  fresh vm context / sandboxed, per run (same work)          ${times(ratios.vmPerRun)}`,
    `  fresh vm context / sandboxed, instantiation only           ${times(ratios.vmInstantiation)}`,
    `  vm.createContext / sandbox fixed + 4 x per-module cost     ${times(ratios.vmMechanism)}` +
    `  (${us(vm.contextUs)} / ${us(isolationUs)})`,
    `  module URL per run / sandboxed, per run                    ${times(ratios.urlPerRun)}`,
    `  sandboxed / unsandboxed, per run                           ${times(ratios.sandboxedPerUnsandboxed)}`,
    ``,
    `Targets (issue 2)`,
    ...targets.map((target) => {
      const value = target.unit === "x" ? times(target.value) : target.unit === "B" ? bytes(target.value) : target.unit === "ms" ? ms(target.value) : us(target.value);
      return `  ${quick ? "----" : target.pass ? "PASS" : "MISS"}  ${target.name}: ${value} (target ${target.limit})`;
    }),
    ``,
    `bench took ${output.benchSeconds.toFixed(0)} s`,
  ];
  console.log(lines.join("\n"));
}
