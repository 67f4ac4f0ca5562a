// What a commit costs on this machine and what group commit buys: SqliteHistoryStore with
// synchronous NORMAL and FULL, each with and without group commit, beside the memory and file
// stores, measured in one run.
//
//   node --conditions=workflow-sandbox-source --import ./dist/register.js bench/sqlite_store_bench.ts [workflows] [inFlight]
//   deno run -A bench/sqlite_store_bench.ts [workflows] [inFlight]
//
// 1. A bare node:sqlite commit (WAL, `BEGIN IMMEDIATE`, one small insert, `COMMIT`), per setting.
// 2. Store writes: `workflows` short workflows, `inFlight` at a time, each written as the worker
//    writes a one-activity workflow (start, task completed with the activity scheduled, activity
//    completed, completed): 4 writes and 5 events per workflow. Reported: writes/s, workflows/s,
//    CPU time per write (steadier than rates on a shared machine) and writes per commit (the
//    group size).
// Figures vary with the machine and its load; the ratios are what to compare.
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { loadSqlite, runtimeName } from "../loader/runtime.ts";
import { createCrashInjector } from "../worker/crash_injection.ts";
import { FileHistoryStore } from "../worker/file_history_store.ts";
import type { HistoryStore } from "../worker/history_store.ts";
import { MemoryHistoryStore } from "../worker/memory_history_store.ts";
import { SqliteHistoryStore } from "../worker/sqlite_history_store.ts";

const numbers = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const workflows = numbers[0] ?? 2_000;
const inFlight = numbers[1] ?? 50;
const folder = fs.mkdtempSync(join(tmpdir(), "wfs-sqlite-bench-"));
const noCrash = createCrashInjector({ value: "" });

async function bareCommit(synchronous: "NORMAL" | "FULL", commits: number): Promise<number> {
  const { DatabaseSync } = await loadSqlite();
  const path = join(folder, `bare-${synchronous}.db`);
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}; CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)`);
  const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
  const body = JSON.stringify({ eventId: 2, type: "ActivityTaskCompleted", timestamp: Date.now(), result: "x".repeat(100) });
  const started = performance.now();
  for (let i = 0; i < commits; i++) {
    db.exec("BEGIN IMMEDIATE");
    insert.run(body);
    db.exec("COMMIT");
  }
  const perCommitUs = (performance.now() - started) * 1_000 / commits;
  db.close();
  return perCommitUs;
}

async function oneWorkflow(store: HistoryStore, index: number): Promise<void> {
  const workflowId = `wf-${index}`;
  const key = { workflowId, runId: "r1" };
  const now = Date.now();
  await store.createExecution({
    ...key,
    workflowType: "bench",
    taskQueue: "bench",
    events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: now, args: [index] }],
  });
  await store.append(key, {
    expectedLastEventId: 1,
    events: [
      { eventId: 2, type: "WorkflowTaskCompleted", timestamp: now },
      { eventId: 3, type: "ActivityTaskScheduled", timestamp: now, activityId: "1", activityType: "echo", args: [index] },
    ],
    workflowTaskPending: false,
    activities: { put: [{ activityId: "1", activityType: "echo", taskQueue: "bench", attempt: 1, readyAt: now, data: { args: [index] } }] },
  });
  await store.append(key, {
    expectedLastEventId: 3,
    events: [{ eventId: 4, type: "ActivityTaskCompleted", timestamp: now, activityId: "1", result: index }],
    activities: { remove: ["1"] },
    workflowTaskPending: true,
  });
  await store.append(key, {
    expectedLastEventId: 4,
    events: [{ eventId: 5, type: "WorkflowExecutionCompleted", timestamp: now, result: index }],
    status: "completed",
  });
}

async function storeRate(label: string, store: HistoryStore): Promise<void> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < workflows) await oneWorkflow(store, next++);
  }));
  const seconds = (performance.now() - started) / 1_000;
  const used = process.cpuUsage(cpu);
  const cpuPerWrite = (used.user + used.system) / (workflows * 4);
  const stats = store instanceof SqliteHistoryStore ? store.commitStats : undefined;
  const group = stats === undefined ? "" : `, ${(stats.writes / stats.commits).toFixed(1)} writes per commit`;
  console.log(`  ${label.padEnd(44)} ${Math.round(workflows * 4 / seconds).toString().padStart(7)} writes/s ` +
    `${Math.round(workflows / seconds).toString().padStart(6)} workflows/s ${cpuPerWrite.toFixed(0).padStart(5)} µs CPU per write${group}`);
  await store.close();
}

console.log(`${runtimeName}, ${workflows} workflows (4 writes, 5 events each), ${inFlight} in flight`);
console.log("bare node:sqlite commit (WAL, BEGIN IMMEDIATE, one insert):");
for (const synchronous of ["NORMAL", "FULL"] as const) {
  await bareCommit(synchronous, 200); // warm up
  console.log(`  synchronous=${synchronous.padEnd(6)} ${(await bareCommit(synchronous, 2_000)).toFixed(1)} µs per commit`);
}
console.log("store writes:");
await storeRate("MemoryHistoryStore", new MemoryHistoryStore());
await storeRate("FileHistoryStore (fsync per write)", await FileHistoryStore.open({ directory: join(folder, "file"), crashInjector: noCrash }));
for (const synchronous of ["NORMAL", "FULL"] as const) {
  for (const groupCommit of [true, false]) {
    const store = await SqliteHistoryStore.open({ path: join(folder, `store-${synchronous}-${groupCommit}.db`), synchronous, groupCommit, crashInjector: noCrash });
    await storeRate(`SqliteHistoryStore ${synchronous}, ${groupCommit ? "group commit" : "commit per write"}`, store);
  }
}
fs.rmSync(folder, { recursive: true, force: true });
