// The durable half of bench/worker_bench.ts: the same one-activity workflows through the worker
// with the in-memory store and with SqliteHistoryStore (synchronous=NORMAL, group commit, one
// worker process), measured back to back; the time from a start in another process to the
// workflow's first workflow task; and the change feed's CPU while idle.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  type HistoryStore,
  type Logger,
  MemoryHistoryStore,
  SqliteHistoryStore,
  Worker,
  type WorkflowRunner,
  WorkflowEnvironment,
} from "../mod.ts";
import { childCommand } from "./_spawn.ts";

/** A throughput measurement: workflows per second, process CPU per workflow, and for the durable store its writes per commit. */
export interface Throughput {
  readonly rate: number;
  readonly cpuUs: number;
  readonly writesPerCommit?: number;
}

/** What the durable measurements share. */
export interface DurableBenchOptions {
  readonly workflowsPath: URL;
  readonly activities: Record<string, (...args: any[]) => unknown>;
  readonly logger: Logger;
  readonly count: number;
}

const folder = fs.mkdtempSync(join(tmpdir(), "wfs-worker-bench-"));
let databases = 0;

/** Removes the bench's databases. */
export function cleanUp(): void {
  fs.rmSync(folder, { recursive: true, force: true });
}

async function openStore(kind: "memory" | "sqlite"): Promise<HistoryStore> {
  if (kind === "memory") return new MemoryHistoryStore();
  return await SqliteHistoryStore.open({ path: join(folder, `bench-${databases++}.db`), synchronous: "NORMAL", groupCommit: true, warn: () => {} });
}

/** `count` one-activity workflows started at once, on the given store; the first 50 warm up. */
export async function throughput(options: DurableBenchOptions, runner: WorkflowRunner, label: string, kind: "memory" | "sqlite"): Promise<Throughput> {
  const store = await openStore(kind);
  const env = await WorkflowEnvironment.startLocal({ store });
  const worker = await Worker.create(env, { taskQueue: "bench", workflowsPath: options.workflowsPath, activities: options.activities, workflowRunner: runner, logger: options.logger });
  const result = await worker.runUntil(async () => {
    const run = async (prefix: string, n: number) => {
      const handles = await Promise.all(
        Array.from({ length: n }, (_, i) => env.client.startWorkflow("oneActivity", { id: `${label}-${prefix}-${i}`, taskQueue: "bench", args: [i] })),
      );
      await Promise.all(handles.map((h) => h.result()));
    };
    await run("warmup", Math.min(50, options.count));
    const before = store instanceof SqliteHistoryStore ? store.commitStats : undefined;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run("measured", options.count);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const after = store instanceof SqliteHistoryStore ? store.commitStats : undefined;
    return {
      rate: options.count / seconds,
      cpuUs: (used.user + used.system) / options.count,
      ...(before && after ? { writesPerCommit: (after.writes - before.writes) / Math.max(1, after.commits - before.commits) } : {}),
    };
  });
  await env.teardown();
  return result;
}

/**
 * The time from a start in another process to the workflow's first workflow task, in ms, sorted:
 * a client process (bench/_start_client.ts) starts `starts` workflows, one every `gapMs`, while a
 * worker of this process waits on the durable store's change feed. Read from the histories: the
 * start event's timestamp (the client's clock) and the first WorkflowTaskCompleted's
 * `startedTime` (the worker's), both Date.now() of one host, so 1 ms resolution.
 */
export async function crossProcessLatency(options: DurableBenchOptions, runner: WorkflowRunner, starts: number, gapMs: number): Promise<number[]> {
  const path = join(folder, "latency.db");
  const store = await SqliteHistoryStore.open({ path, warn: () => {} });
  const env = await WorkflowEnvironment.startLocal({ store });
  const worker = await Worker.create(env, { taskQueue: "bench", workflowsPath: options.workflowsPath, activities: options.activities, workflowRunner: runner, logger: options.logger });
  const running = worker.run();
  const [bin, ...args] = childCommand(new URL("./_start_client.ts", import.meta.url), [path, String(starts), String(gapMs)]);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bin!, args, { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => code === 0 ? resolve() : reject(new Error(`the client process exited ${code}`)));
  });
  const delays: number[] = [];
  for (let i = 0; i < starts; i++) {
    const handle = env.client.getHandle(`latency-${i}`);
    await handle.result();
    const events = (await handle.fetchHistory()).events;
    const task = events.find((e) => e.type === "WorkflowTaskCompleted")!;
    delays.push(Number(task.startedTime) - events[0]!.timestamp);
  }
  worker.shutdown();
  await running;
  await env.teardown();
  return delays.sort((a, b) => a - b);
}

/** The change feed's CPU while idle (a store watched, as while a worker waits, nothing to do), as a share of one core. */
export async function idleCpu(ms: number): Promise<{ watched: number; unwatched: number }> {
  const store = await SqliteHistoryStore.open({ path: join(folder, "idle.db"), warn: () => {} });
  const measure = async () => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / 1000 / (performance.now() - started);
  };
  const unwatched = await measure();
  const stop = store.coordination.watch(() => {});
  const watched = await measure();
  stop();
  await store.close();
  return { watched, unwatched };
}

/** The p-th quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
