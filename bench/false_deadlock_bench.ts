// No false deadlock under load: runs of `workflows` workflows that each count `signals` signals, on
// the durable FileHistoryStore (a synchronous fsync per write), with the default deadlock limit
// (2 s), all signals sent at once. Counts the workflow tasks that failed with DeadlockError (or
// anything else): the guard counts only workflow code, so host time such as the store's flushes
// must never fail a task. tests/worker_deadlock_test.ts runs a reduced version on every runtime.
//
//   node --conditions=workflow-sandbox-source --import ./dist/register.js bench/false_deadlock_bench.ts [runs] [workflows] [signals]
//   deno run -A bench/false_deadlock_bench.ts [runs] [workflows] [signals]
//
// Defaults: 10 runs of 200 workflows x 100 signals (the figure).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { FileHistoryStore, type LogEntry, DefaultLogger, Worker, WorkflowEnvironment } from "../mod.ts";
import { runtimeName } from "../loader/runtime.ts";

const [runs, workflows, signals] = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const RUNS = runs ?? 10;
const WORKFLOWS = workflows ?? 200;
const SIGNALS = signals ?? 100;
const workflowsPath = new URL("../tests/fixtures/worker/deadlock/workflows.ts", import.meta.url);

console.log(`false deadlock bench: ${RUNS} runs of ${WORKFLOWS} workflows x ${SIGNALS} signals, FileHistoryStore, ${runtimeName}`);
let totalDeadlocks = 0;
let totalFailures = 0;
for (let run = 1; run <= RUNS; run++) {
  const directory = mkdtempSync(join(tmpdir(), "wfs-false-deadlock-"));
  const failed: LogEntry[] = [];
  const logger = new DefaultLogger("WARN", (entry) => {
    if (entry.level === "ERROR") failed.push(entry);
  });
  const started = performance.now();
  try {
    const env = await WorkflowEnvironment.startLocal({ store: await FileHistoryStore.open({ directory, warn: () => {} }) });
    const worker = await Worker.create(env, { taskQueue: "load", workflowsPath, logger });
    const results = await worker.runUntil(async () => {
      const handles = await Promise.all(
        Array.from({ length: WORKFLOWS }, (_, i) => env.client.startWorkflow("signalCounter", { id: `load-${i}`, taskQueue: "load", args: [SIGNALS] })),
      );
      await Promise.all(handles.map(async (handle) => {
        for (let i = 0; i < SIGNALS; i++) await handle.signal("add", 1);
      }));
      return await Promise.all(handles.map((handle) => handle.result()));
    });
    await env.teardown();
    const wrong = results.filter((value) => value !== SIGNALS).length;
    const deadlocks = failed.filter((entry) => entry.attributes?.code === "WFS_DEADLOCK").length;
    totalDeadlocks += deadlocks;
    totalFailures += failed.length;
    console.log(
      `run ${String(run).padStart(2)}: ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
        `${deadlocks} DeadlockError, ${failed.length} failed tasks, ${wrong} wrong results`,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
console.log(`total: ${totalDeadlocks} DeadlockError, ${totalFailures} failed tasks in ${RUNS} runs`);
if (totalFailures > 0) process.exitCode = 1;
