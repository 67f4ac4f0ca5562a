// One series of bench/chart.ts, run in a process of its own (started with --expose-gc):
//   <runtime> <same flags> bench/_chart_child.ts <sandboxed|unsandboxed|vm|url> <checkpoint,...>
// It makes runs of the bench workflow until each checkpoint and records, per checkpoint, the mean
// wall time per run since the previous checkpoint and the heap used after GC, relative to the heap
// after the warm-up. It prints one `BENCH_RESULT <json>` line (bench/_spawn.ts).
import process from "node:process";
import { benchJob, createRunner, createUrlRun, createVmRun, prepared, WORKFLOW_URL } from "./_baselines.ts";
import { report } from "./_spawn.ts";
import { now, requireGc, runnerIteration, settledHeap } from "./_timing.ts";

/** One point of a series. */
export interface ChartPoint {
  /** Runs made since the warm-up. */
  readonly runs: number;
  /** Mean wall time per run between the previous checkpoint and this one, in microseconds. */
  readonly perRunUs: number;
  /** Heap used after GC minus the heap used after GC at the end of the warm-up, in bytes. */
  readonly retainedBytes: number;
}

/** What a child reports. */
export interface ChartSeries {
  readonly points: ChartPoint[];
  readonly warmupRuns: number;
  readonly result: string;
}

const WARMUP_RUNS = 20;

async function oneRun(baseline: string): Promise<(run: number) => Promise<unknown>> {
  switch (baseline) {
    case "sandboxed":
    case "unsandboxed": {
      const runner = createRunner(baseline);
      const iteration = runnerIteration(runner, await prepared(runner, WORKFLOW_URL), benchJob);
      const scratch = new Float64Array(3);
      return () => iteration(scratch);
    }
    case "vm": {
      const vmRun = await createVmRun();
      return async () => (await vmRun()).value;
    }
    case "url":
      return await createUrlRun();
    default:
      throw new Error(`Unknown series '${baseline}': pass sandboxed, unsandboxed, vm or url`);
  }
}

const [baseline, list = ""] = process.argv.slice(2);
const checkpoints = list.split(",").map(Number);
if (checkpoints.some((value, i) => !Number.isInteger(value) || value <= (checkpoints[i - 1] ?? 0))) {
  throw new Error(`Checkpoints must be increasing whole numbers separated by commas, got '${list}'`);
}
const gc = requireGc();
const run = await oneRun(baseline);
let result: unknown;
for (let i = 0; i < WARMUP_RUNS; i++) result = await run(-1 - i);
const reference = await settledHeap(gc);
const points: ChartPoint[] = [];
let done = 0;
for (const checkpoint of checkpoints) {
  const started = now();
  const from = done;
  for (; done < checkpoint; done++) result = await run(done);
  const elapsedMs = now() - started;
  points.push({ runs: checkpoint, perRunUs: (elapsedMs / (checkpoint - from)) * 1000, retainedBytes: (await settledHeap(gc)) - reference });
}
report({ points, warmupRuns: WARMUP_RUNS, result: String(result) } satisfies ChartSeries);
