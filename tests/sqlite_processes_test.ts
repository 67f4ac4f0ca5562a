// Clients and workers in separate processes on one SqliteHistoryStore database: a client in this
// process drives workflows a worker process runs (start, signal and cancel with request ids,
// describe, query through the database, list, result through the change feed); a worker killed
// with SIGKILL has its workflows taken over at once by a worker that opens the database after it,
// whatever pid its session had (a restart with the same pid, a new container on the same host).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import { isDeno, loadSqlite } from "../loader/runtime.ts";
import {
  DefaultLogger,
  QueryNotRegisteredError,
  SqliteHistoryStore,
  Worker,
  WorkflowEnvironment,
  WorkflowFailedError,
} from "../mod.ts";

const PROCESS = fileURLToPath(new URL("./fixtures/worker/shared/process.ts", import.meta.url));
const WORKFLOWS = new URL("./fixtures/worker/shared/workflows.ts", import.meta.url);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const folders: string[] = [];

function newPath(): string {
  const folder = fs.mkdtempSync(join(tmpdir(), "wfs-processes-"));
  folders.push(folder);
  return join(folder, "histories.db");
}

/** A worker process of task queue 'shared' on `path`; resolves once it polls. */
function workerProcess(path: string): Promise<ChildProcess> {
  const [bin, base] = isDeno ? [process.execPath, ["run", "-A", PROCESS]] : [process.execPath, [...process.execArgv, PROCESS]];
  const child = spawn(bin, [...base, "--", "worker", path, join(path, "..", "activities.log")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk) => String(chunk).includes("ready") && resolve(child));
    child.on("close", (code) => reject(new Error(`the worker process exited ${code}: ${stderr}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("close", () => resolve());
    child.kill("SIGKILL");
  });
}

test("a client in this process drives workflows a worker process runs: request ids, queries through the database, results through the change feed", async () => {
  const path = newPath();
  await (await SqliteHistoryStore.open({ path })).close();
  const worker = await workerProcess(path);
  const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path }), queryTimeout: "20s" });
  try {
    const client = env.client;
    const first = await client.startWorkflow("waiter", { id: "w-1", taskQueue: "shared", args: [2], requestId: "start-w-1" });
    const retried = await client.startWorkflow("waiter", { id: "w-1", taskQueue: "shared", args: [2], requestId: "start-w-1" });
    assert.equal(retried.firstExecutionRunId, first.firstExecutionRunId, "a retried start is the same run");
    const handle = client.getHandle<string[]>("w-1");
    await handle.signalWithOptions("release", { args: ["a"], requestId: "release-a" });
    await handle.signalWithOptions("release", { args: ["a"], requestId: "release-a" }); // a retry: once
    // No worker of this process: the query goes through the database to the worker process.
    assert.equal(await handle.query<string>("status"), "waiting: a");
    await assert.rejects(handle.query("nope"), (error: unknown) => QueryNotRegisteredError.is(error));
    assert.equal((await handle.describe()).status.name, "RUNNING");
    assert.deepEqual((await env.store.listExecutions({ status: "running" })).map((i) => i.workflowId), ["w-1"]);
    const started = performance.now();
    await handle.signalWithOptions("release", { args: ["b"], requestId: "release-b" });
    assert.deepEqual(await handle.result(), ["a", "b"], "the worker process's result reaches this process");
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5_000, `signal to result across processes took ${elapsed.toFixed(0)} ms`);
    assert.deepEqual((await handle.fetchHistory()).events.filter((e) => e.type === "WorkflowExecutionSignaled").length, 2);
    // A retried signal after the workflow closed succeeds without recording anything.
    await handle.signalWithOptions("release", { args: ["b"], requestId: "release-b" });

    const other = await client.startWorkflow("waiter", { id: "w-2", taskQueue: "shared", args: [1] });
    await other.cancel({ requestId: "cancel-w-2" });
    await other.cancel({ requestId: "cancel-w-2" });
    await assert.rejects(other.result(), (error: unknown) => WorkflowFailedError.is(error));
    assert.equal((await other.describe()).status.name, "CANCELLED");
  } finally {
    await kill(worker);
    await env.teardown();
  }
});

test("a worker killed with SIGKILL: the next worker to open the database takes its workflows over at once, though its session had this pid", async () => {
  const path = newPath();
  await (await SqliteHistoryStore.open({ path })).close();
  const first = await workerProcess(path);
  const client = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path, leaseTimeout: "60s" }) });
  let killedAt = 0;
  try {
    for (const id of ["t-1", "t-2", "t-3"]) await client.client.startWorkflow("waiter", { id, taskQueue: "shared", args: [1] });
    // The worker process holds them once it ran their first workflow task.
    for (const id of ["t-1", "t-2", "t-3"]) {
      while ((await client.client.getHandle(id).describe()).historyLength < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.teardown();
  }
  killedAt = performance.now();
  await kill(first);
  // Its session says: this very pid (a restarted container's pid 1), another host name, a fresh
  // heartbeat. Only its free lock tells that it is dead; the lease timeout is a minute.
  const { DatabaseSync } = await loadSqlite();
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 1000");
  assert.equal(Number((db.prepare("SELECT count(*) AS n FROM run_owners").get() as { n: number }).n), 3, "the killed process held the three runs");
  db.prepare("UPDATE sessions SET pid = ?, host = 'container-7f3c', heartbeat_at = ?, lease_ms = 60000").run(process.pid, Date.now());
  // Closed once the store is open: the last connection to close would remove the WAL of a
  // database the killed process left marked open, which the store would take for a lost WAL.
  const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path, leaseTimeout: "60s" }) });
  db.close();
  try {
    const worker = await Worker.create(env, {
      taskQueue: "shared",
      workflowsPath: WORKFLOWS,
      activities: { double: (n: number) => 2 * n, echo: (n: number) => n },
      logger: new DefaultLogger("ERROR"),
    });
    const results = await worker.runUntil(Promise.all(["t-1", "t-2", "t-3"].map(async (id) => {
      const handle = env.client.getHandle<string[]>(id);
      await handle.signal("release", `go-${id}`);
      assert.equal(await handle.query<string>("status"), `done: go-${id}`, "queries reach this process, which holds the run now");
      return await handle.result();
    })));
    assert.deepEqual(results, [["go-t-1"], ["go-t-2"], ["go-t-3"]]);
    const took = performance.now() - killedAt;
    assert.ok(took < 30_000, `taken over in ${took.toFixed(0)} ms, well within the 60 s lease timeout`);
  } finally {
    await env.teardown();
  }
});

test.after(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

test.run();
