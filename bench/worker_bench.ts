// The reference worker's cost, sandboxed and unsandboxed side by side, measured in one run:
// workflows completed per second (a one-activity workflow, many in flight) and memory per cached
// workflow (hold N runs open in the cache, measure the heap after GC, evict them, measure again).
//
//   node --expose-gc --conditions=workflow-sandbox-source --import ./dist/register.js bench/worker_bench.ts [count]
//   deno run -A --v8-flags=--expose-gc bench/worker_bench.ts [count]
//
// Without --expose-gc the memory column is skipped. Figures vary with the machine; the ratios are
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

const rows: { label: string; rate: number; bytes: number | undefined }[] = [];
for (const [label, make] of [
  ["sandboxed", () => new SandboxedWorkflowRunner()],
  ["unsandboxed", () => new UnsandboxedWorkflowRunner()],
] as const) {
  const rate = await throughput(make(), label);
  const bytes = await memoryPerCachedWorkflow(make(), label);
  rows.push({ label, rate, bytes });
}

const runtime = runtimeName;
console.log(`worker bench: ${count} one-activity workflows, ${runtime}`);
console.log("runner        workflows/s   memory per cached workflow");
for (const row of rows) {
  const memory = row.bytes === undefined ? "(run with --expose-gc)" : `${(row.bytes / 1024).toFixed(1)} KiB`;
  console.log(`${row.label.padEnd(13)} ${row.rate.toFixed(0).padStart(11)}   ${memory}`);
}
const [sandboxed, unsandboxed] = rows as [typeof rows[0], typeof rows[0]];
console.log(`ratio sandboxed/unsandboxed: throughput ${(sandboxed.rate / unsandboxed.rate).toFixed(2)}x` +
  (sandboxed.bytes !== undefined && unsandboxed.bytes !== undefined && unsandboxed.bytes > 0
    ? `, memory per cached workflow ${(sandboxed.bytes / unsandboxed.bytes).toFixed(1)}x`
    : ""));
