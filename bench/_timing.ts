// Timing and heap helpers shared by the bench children. Times are microseconds per run: the
// median, over rounds, of each round's mean.
import process from "node:process";
import { setImmediate } from "node:timers";
import type { WorkflowDefinition, WorkflowRunner } from "workflow-sandbox";
import { median } from "./_stats.ts";

/** How many runs a timing baseline makes. */
export interface Counts {
  readonly warmup: number;
  readonly rounds: number;
  readonly perRound: number;
}

/** Per-run phases, in microseconds. */
export interface Phases {
  /** `createInstance` (or what stands for it: a fresh context, an `import()`). */
  readonly createUs: number;
  /** `activate` with the job, until the run is quiescent (includes a macrotask hop). */
  readonly activateUs: number;
  readonly disposeUs: number;
  readonly totalUs: number;
  /** Each round's mean total, to show the spread. */
  readonly roundsUs: readonly number[];
  /**
   * Process CPU time per run (all threads, so GC and compiler threads count), the median over
   * rounds. Unlike wall time, other processes on the machine barely change it, so comparisons
   * between children that ran minutes apart use it.
   */
  readonly cpuUs: number;
  readonly cpuRoundsUs: readonly number[];
  readonly runs: number;
  /** The workflow's result in the last run: the parent checks that every baseline did the same work. */
  readonly result: string;
}

/** A clock in milliseconds. */
export const now = (): number => performance.now();

/** Resolves on the next macrotask, as `activate` waits for one. */
export const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Times `iteration`, which adds the milliseconds of its phases (create, activate, dispose) to
 * `phases` and returns the run's result.
 */
export async function timePhases(
  counts: Counts,
  iteration: (phases: Float64Array) => Promise<unknown>,
): Promise<Phases> {
  let result: unknown;
  const scratch = new Float64Array(3);
  for (let i = 0; i < counts.warmup; i++) result = await iteration(scratch);
  const perPhase: number[][] = [[], [], [], []];
  const cpu: number[] = [];
  for (let round = 0; round < counts.rounds; round++) {
    const phases = new Float64Array(3);
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < counts.perRound; i++) result = await iteration(phases);
    const cpuUsed = process.cpuUsage(cpuBefore);
    cpu.push((cpuUsed.user + cpuUsed.system) / counts.perRound);
    const perRun = [...phases].map((total) => (total / counts.perRound) * 1000);
    perRun.forEach((value, i) => perPhase[i].push(value));
    perPhase[3].push(perRun[0] + perRun[1] + perRun[2]);
  }
  return {
    createUs: median(perPhase[0]),
    activateUs: median(perPhase[1]),
    disposeUs: median(perPhase[2]),
    totalUs: median(perPhase[3]),
    roundsUs: perPhase[3],
    cpuUs: median(cpu),
    cpuRoundsUs: cpu,
    runs: counts.warmup + counts.rounds * counts.perRound,
    result: String(result),
  };
}

/** One run of a runner, as a worker makes it: create, activate with `job`, dispose. */
export function runnerIteration(
  runner: WorkflowRunner,
  definition: WorkflowDefinition,
  job: (workflow: unknown) => unknown,
): (phases: Float64Array) => Promise<unknown> {
  return async (phases) => {
    const t0 = now();
    const instance = await runner.createInstance({ definition });
    const t1 = now();
    const { results } = await instance.activate([job]);
    const value = await results[0];
    const t2 = now();
    instance.dispose();
    const t3 = now();
    phases[0] += t1 - t0;
    phases[1] += t2 - t1;
    phases[2] += t3 - t2;
    return value;
  };
}

/** `gc()`, which the child must have been started with (`--expose-gc`). */
export function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") throw new Error("This baseline needs --expose-gc: start it with childCommand(..., { heapFlags: true })");
  return gc;
}

/** Heap used after the event loop settled and several full GCs (the smallest of three readings). */
export async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) await nextMacrotask();
  const readings = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) gc();
    readings.push(process.memoryUsage().heapUsed);
    await nextMacrotask();
  }
  return Math.min(...readings);
}
