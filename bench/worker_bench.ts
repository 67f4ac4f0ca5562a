// The reference worker's cost, sandboxed and unsandboxed side by side, measured in one run:
// workflows completed per second (a one-activity workflow, many in flight; medians of 3 rounds per
// runner, taking turns after a warm-up round of each), memory per cached
// workflow (hold N runs open in the cache, measure the heap after GC, evict them, measure again),
// and the fixed cost of a trivial workflow run alone (one after the other, in-memory store, the
// deadlock guard on for both runners: the default 2 s).
//
//   node --expose-gc --conditions=workflow-sandbox-source --import ./dist/register.js bench/worker_bench.ts [count]
//   deno run -A --v8-flags=--expose-gc bench/worker_bench.ts [count]
//
// `--sequential` runs only the trivial workflow alone. Without --expose-gc the memory column is
// skipped. Figures vary with the machine; the ratios are
// what to compare across changes.
import process from "node:process";
import {
  DefaultLogger,
  SandboxedWorkflowRunner,
  UnsandboxedWorkflowRunner,
  Worker,
  type WorkflowRunner,
  WorkflowEnvironment,
} from "../mod.ts";
import { runtimeName } from "../loader/runtime.ts";
import * as durable from "./_durable_worker.ts";
import { median } from "./_stats.ts";

const workflowsPath = new URL("../tests/fixtures/worker/bench/workflows.ts", import.meta.url);
const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 500);
const gc = (globalThis as { gc?: () => void }).gc;
const activities = { echo: (n: number) => n };
const logger = new DefaultLogger("WARN");

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Workflows completed per second, median of `rounds` rounds per runner, the runners taking turns
 * after a warm-up round of each: the first round in a process runs on a cold JIT (measured 30 to
 * 50% slower), which measuring one runner first and the other second charged to the first alone.
 */
async function throughputRounds(
  runners: readonly (readonly [string, () => WorkflowRunner])[],
  rounds = 3,
): Promise<Map<string, number>> {
  const rates = new Map(runners.map(([label]) => [label, [] as number[]]));
  for (let round = -1; round < rounds; round++) {
    for (const [label, make] of round % 2 === 0 ? runners : [...runners].reverse()) {
      const rate = await throughput(make(), `${label}-${round + 1}`);
      if (round >= 0) rates.get(label)!.push(rate);
    }
  }
  return new Map([...rates].map(([label, values]) => [label, median(values)]));
}

/** Workflows completed per second: `count` one-activity workflows started at once. */
async function throughput(runner: WorkflowRunner, label: string): Promise<number> {
  const env = await WorkflowEnvironment.startLocal();
  const worker = await Worker.create(env, { taskQueue: "bench", workflowsPath, activities, workflowRunner: runner, logger });
  const rate = await worker.runUntil(async () => {
    const run = async (prefix: string, n: number) => {
      const handles = await Promise.all(
        Array.from({ length: n }, (_, i) => env.client.startWorkflow("oneActivity", { id: `${label}-${prefix}-${i}`, taskQueue: "bench", args: [i] })),
      );
      await Promise.all(handles.map((h) => h.result()));
    };
    await run("warmup", Math.min(50, count));
    const started = performance.now();
    await run("measured", count);
    return count / ((performance.now() - started) / 1000);
  });
  await env.teardown();
  return rate;
}

/**
 * Microseconds per trivial workflow run alone (start it, run its one task, read its result, one
 * after the other), for each runner: rounds of `perRound` workflows on a fresh environment (so
 * the in-memory store stays small), the runners taking turns round by round so the machine's
 * drift touches both alike. Medians of the rounds' wall time and process CPU time.
 */
async function sequential(
  runners: readonly (readonly [string, () => WorkflowRunner])[],
  rounds = 15,
  perRound = 100,
): Promise<Map<string, { wallUs: number; cpuUs: number }>> {
  const samples = new Map(runners.map(([label]) => [label, { wall: [] as number[], cpu: [] as number[] }]));
  for (let round = -2; round < rounds; round++) {
    for (const [label, make] of round % 2 === 0 ? runners : [...runners].reverse()) {
      const env = await WorkflowEnvironment.startLocal();
      const worker = await Worker.create(env, { taskQueue: "bench", workflowsPath, activities, workflowRunner: make(), logger });
      await worker.runUntil(async () => {
        let n = 0;
        const one = () => env.client.executeWorkflow("trivial", { id: `${label}-seq-${n++}`, taskQueue: "bench", args: [n] });
        for (let i = 0; i < 20; i++) await one();
        const cpu = process.cpuUsage();
        const started = performance.now();
        for (let i = 0; i < perRound; i++) await one();
        const wall = (performance.now() - started) * 1000 / perRound;
        const used = process.cpuUsage(cpu);
        // The first two rounds warm the JIT up.
        if (round >= 0) {
          samples.get(label)!.wall.push(wall);
          samples.get(label)!.cpu.push((used.user + used.system) / perRound);
        }
      });
      await env.teardown();
    }
  }
  return new Map([...samples].map(([label, { wall, cpu }]) => [label, { wallUs: median(wall), cpuUs: median(cpu) }]));
}

/** Bytes per cached workflow: `count` runs waiting for a signal, cached, then evicted. */
async function memoryPerCachedWorkflow(runner: WorkflowRunner, label: string): Promise<number | undefined> {
  if (gc === undefined) return undefined;
  const env = await WorkflowEnvironment.startLocal();
  const worker = await Worker.create(env, {
    taskQueue: "bench",
    workflowsPath,
    activities,
    workflowRunner: runner,
    logger,
    maxCachedWorkflows: count + 10,
  });
  const running = worker.run();
  const handles = await Promise.all(
    Array.from({ length: count }, (_, i) => env.client.startWorkflow("holdOpen", { id: `${label}-hold-${i}`, taskQueue: "bench", args: [i] })),
  );
  // Wait until every run waits for its signal: no workflow task or activity left.
  for (;;) {
    const [tasks, acts] = await Promise.all([env.store.listWorkflowTasks(), env.store.listActivityTasks()]);
    if (tasks.length === 0 && acts.length === 0 && worker.cachedWorkflows === count) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const cached = await heapAfterGc();
  worker.shutdown(); // evicts every cached run
  await running;
  const evicted = await heapAfterGc();
  void handles;
  await env.teardown();
  return (cached - evicted) / count;
}

const runners = [
  ["sandboxed", () => new SandboxedWorkflowRunner()],
  ["unsandboxed", () => new UnsandboxedWorkflowRunner()],
] as const;
// `--sequential`: only the trivial workflow run alone (a quicker check of the fixed cost).
const sequentialOnly = process.argv.includes("--sequential");
const rows: { label: string; rate: number; bytes: number | undefined; sequentialUs: number; sequentialCpuUs: number }[] = [];
const rates = sequentialOnly ? new Map<string, number>() : await throughputRounds(runners);
for (const [label, make] of runners) {
  const rate = rates.get(label) ?? NaN;
  const bytes = sequentialOnly ? undefined : await memoryPerCachedWorkflow(make(), label);
  rows.push({ label, rate, bytes, sequentialUs: 0, sequentialCpuUs: 0 });
}
const alone = await sequential(runners);
for (const row of rows) {
  row.sequentialUs = alone.get(row.label)!.wallUs;
  row.sequentialCpuUs = alone.get(row.label)!.cpuUs;
}

const runtime = runtimeName;
console.log(`worker bench: ${count} one-activity workflows, ${runtime}`);
console.log("runner        workflows/s   memory per cached workflow   trivial workflow alone (wall, CPU)");
for (const row of rows) {
  const memory = row.bytes === undefined ? "(run with --expose-gc)" : `${(row.bytes / 1024).toFixed(1)} KiB`;
  const each = `${row.sequentialUs.toFixed(0)} µs (${(1e6 / row.sequentialUs).toFixed(0)}/s), CPU ${row.sequentialCpuUs.toFixed(0)} µs`;
  console.log(`${row.label.padEnd(13)} ${row.rate.toFixed(0).padStart(11)}   ${memory.padEnd(26)}   ${each}`);
}
const [sandboxed, unsandboxed] = rows as [typeof rows[0], typeof rows[0]];
console.log(`ratio sandboxed/unsandboxed: throughput ${(sandboxed.rate / unsandboxed.rate).toFixed(2)}x` +
  (sandboxed.bytes !== undefined && unsandboxed.bytes !== undefined && unsandboxed.bytes > 0
    ? `, memory per cached workflow ${(sandboxed.bytes / unsandboxed.bytes).toFixed(1)}x`
    : "") +
  `, trivial workflow alone ${(sandboxed.sequentialUs / unsandboxed.sequentialUs).toFixed(2)}x the time ` +
  `(${(sandboxed.sequentialCpuUs / unsandboxed.sequentialCpuUs).toFixed(2)}x the CPU)`);

// The durable store beside the in-memory one (issue 16): same workflows, same run, back to back.
if (!sequentialOnly) {
  const options = { workflowsPath, activities, logger, count };
  console.log(`\ndurable store: SqliteHistoryStore, synchronous=NORMAL, group commit (window: one event-loop turn: the writes ` +
    `of a turn share one transaction), 1 worker process (this one, its client in it too)`);
  console.log("runner        in-memory wf/s (CPU per wf)   durable wf/s (CPU per wf, writes per commit)   durable/in-memory");
  for (const [label, make] of runners) {
    const inMemory = await durable.throughput(options, make(), `${label}-memory`, "memory");
    const onDisk = await durable.throughput(options, make(), `${label}-durable`, "sqlite");
    console.log(`${label.padEnd(13)} ${`${inMemory.rate.toFixed(0)} (${inMemory.cpuUs.toFixed(0)} µs)`.padEnd(29)} ` +
      `${`${onDisk.rate.toFixed(0)} (${onDisk.cpuUs.toFixed(0)} µs, ${(onDisk.writesPerCommit ?? 0).toFixed(1)})`.padEnd(46)} ` +
      `${(onDisk.rate / inMemory.rate).toFixed(2)}x`);
  }
  const latency = await durable.crossProcessLatency(options, new SandboxedWorkflowRunner(), 200, 20);
  console.log(`start in another process -> first workflow task (durable, sandboxed, 2 processes: a client and this worker, ` +
    `${latency.length} starts 20 ms apart): p50 ${durable.quantile(latency, 0.5)} ms, p99 ${durable.quantile(latency, 0.99)} ms, ` +
    `max ${latency.at(-1)} ms`);
  const idle = await durable.idleCpu(3_000);
  console.log(`change feed while idle (PRAGMA data_version every 25 ms, the default pollInterval): ${(idle.watched * 100).toFixed(2)}% of a core ` +
    `(${(idle.unwatched * 100).toFixed(2)}% with no one watching)`);
  durable.cleanUp();
}
