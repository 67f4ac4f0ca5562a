// Graceful shutdown (issue 14 item 8): on `worker.shutdown()` or a shutdown signal the worker stops
// taking work, lets the workflow task in flight finish, gives running activities
// `shutdownGraceTime` and then their cancellation, and resolves `run()`; after `shutdownForceTime`
// it abandons what still runs and rejects. Nothing acknowledged is lost: an interrupted or
// abandoned activity attempt runs again on the next worker, an abandoned workflow task is run
// again from history. After a signal the environment is torn down (the SqliteHistoryStore closed,
// its leases given back); a second signal exits the process at once. Signal listeners exist only
// while a worker runs.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { isDeno, loadSqlite } from "../loader/runtime.ts";
import {
  type AppendBatch,
  type ExecutionKey,
  type HistoryStore,
  MemoryHistoryStore,
  SqliteHistoryStore,
  Worker,
  type WorkerOptions,
  WorkflowEnvironment,
} from "../mod.ts";
import { InvalidOptionError } from "../worker/_options.ts";
import { ShutdownSignalRegistry, type SignalProcess, signalNumber } from "../worker/_shutdown_signals.ts";
import type { ShutdownSignal } from "../worker/worker_options.ts";
import { shutdownActivities, type SlowMode } from "./fixtures/worker/shutdown/activities.ts";
import { capturingLogger, eventually } from "./fixtures/worker/harness.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER_PROCESS = fileURLToPath(new URL("./fixtures/worker/shutdown/worker.ts", import.meta.url));
const workflowsPath = new URL("./fixtures/worker/shutdown/workflows.ts", import.meta.url);
const taskQueue = "shutdown";
const SIGNALS: ShutdownSignal[] = ["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR2"];
const folders: string[] = [];

function newFolder(): string {
  const folder = fs.mkdtempSync(join(tmpdir(), "wfs-shutdown-"));
  folders.push(folder);
  return folder;
}

test.after(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

const listeners = () => SIGNALS.map((signal) => process.listenerCount(signal));
const types = (events: readonly { type: string }[]) => events.map((e) => e.type);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logLines = (log: string) => fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];

/** A fake process for the registry: records listeners and exits. */
function fakeProcess() {
  const on = new Map<string, Set<() => void>>();
  const exits: number[] = [];
  const fake: SignalProcess & { exits: number[]; count(signal: string): number; send(signal: string): void } = {
    exits,
    on: (signal, listener) => void (on.get(signal) ?? on.set(signal, new Set()).get(signal)!).add(listener),
    off: (signal, listener) => void on.get(signal)?.delete(listener),
    exit: (code) => void exits.push(code),
    count: (signal) => on.get(signal)?.size ?? 0,
    send: (signal) => {
      for (const listener of [...(on.get(signal) ?? [])]) listener();
    },
  };
  return fake;
}

function workerOptions(log: string, mode: SlowMode, options: Partial<WorkerOptions> = {}): WorkerOptions {
  return { taskQueue, workflowsPath, activities: shutdownActivities(log, mode, 2_000), shutdownSignals: [], logger: capturingLogger(), ...options };
}

/** A memory store whose workflow-task completions wait at a gate while it is held. */
function gatedStore() {
  const inner = new MemoryHistoryStore();
  let gate: Promise<void> | undefined;
  let open = () => {};
  const state = { waiting: 0 };
  const store = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      if (key !== "append") return value.bind(target);
      return async (key: ExecutionKey, batch: AppendBatch) => {
        if (gate !== undefined && batch.events?.some((event) => event.type === "WorkflowTaskCompleted")) {
          state.waiting++;
          await gate;
          state.waiting--;
        }
        return target.append(key, batch);
      };
    },
  }) as HistoryStore;
  return {
    store,
    state,
    hold: () => void (gate = new Promise((resolve) => (open = resolve))),
    release: () => {
      gate = undefined;
      open();
    },
  };
}

// ---- the signal registry, with a fake process ----

test("the registry listens once per signal for all its workers, and removes each listener when no running worker needs it", () => {
  const fake = fakeProcess();
  const registry = new ShutdownSignalRegistry(fake);
  const a = registry.register({ signals: ["SIGINT", "SIGTERM"], shutdown() {}, exiting() {} });
  const b = registry.register({ signals: ["SIGTERM", "SIGUSR2"], shutdown() {}, exiting() {} });
  assert.deepEqual(["SIGINT", "SIGTERM", "SIGUSR2"].map((s) => fake.count(s)), [1, 1, 1], "one listener per signal, not per worker");
  a();
  assert.deepEqual(["SIGINT", "SIGTERM", "SIGUSR2"].map((s) => fake.count(s)), [0, 1, 1], "SIGINT was only a's");
  a(); // twice is harmless
  b();
  assert.deepEqual(registry.listening, []);
  assert.deepEqual(["SIGINT", "SIGTERM", "SIGUSR2"].map((s) => fake.count(s)), [0, 0, 0]);
});

test("the first signal shuts down the workers listening to it; a second one, while they stop, exits with 128 + its number", () => {
  const fake = fakeProcess();
  const registry = new ShutdownSignalRegistry(fake);
  const seen: string[] = [];
  const target = (name: string, signals: ShutdownSignal[]) => ({
    signals,
    shutdown: (signal: ShutdownSignal) => void seen.push(`${name} shutdown ${signal}`),
    exiting: (signal: ShutdownSignal) => void seen.push(`${name} exiting ${signal}`),
  });
  const a = registry.register(target("a", ["SIGTERM"]));
  const b = registry.register(target("b", ["SIGTERM", "SIGINT"]));
  const c = registry.register(target("c", ["SIGINT"]));
  fake.send("SIGTERM");
  assert.deepEqual(seen, ["a shutdown SIGTERM", "b shutdown SIGTERM"], "c does not listen to SIGTERM");
  assert.deepEqual(fake.exits, []);
  fake.send("SIGINT");
  assert.deepEqual(seen.slice(2), ["a exiting SIGINT", "b exiting SIGINT"]);
  assert.deepEqual(fake.exits, [128 + signalNumber("SIGINT")!]);
  assert.equal(signalNumber("SIGTERM"), 15);
  a();
  b();
  // Once the stopping workers are gone, a signal is a first signal again (for c).
  seen.length = 0;
  fake.send("SIGINT");
  assert.deepEqual(seen, ["c shutdown SIGINT"]);
  c();
  assert.deepEqual(registry.listening, []);
});

// ---- options ----

test("the shutdown options are validated like the others: an unknown signal, a force time not longer than the grace time, a bad duration", async () => {
  const env = await WorkflowEnvironment.startLocal();
  try {
    const create = (options: Record<string, unknown>) => Worker.create(env, { taskQueue, activities: { a: () => 1 }, ...options } as WorkerOptions);
    await assert.rejects(create({ shutdownSignals: ["SIGKILL"] }), (error: unknown) => {
      assert.ok(InvalidOptionError.is(error));
      assert.equal(error.option, "shutdownSignals.0");
      assert.match(error.message, /Invalid option 'shutdownSignals\.0' of Worker\.create\(\): expected a signal name: one of 'SIGINT', 'SIGTERM'/);
      return true;
    });
    await assert.rejects(create({ shutdownSignals: "SIGTERM" }), (error: unknown) => InvalidOptionError.is(error) && error.option === "shutdownSignals");
    await assert.rejects(create({ shutdownGraceTime: "5s", shutdownForceTime: "5s" }), (error: unknown) => {
      assert.ok(InvalidOptionError.is(error));
      assert.equal(error.option, "shutdownForceTime");
      assert.equal(error.code, "WFS_INVALID_OPTION");
      assert.match(error.message, /'shutdownForceTime' of Worker\.create\(\): 5000 ms is not longer than 'shutdownGraceTime' \(5000 ms\)/);
      assert.match(error.message, /Make 'shutdownForceTime' longer than 'shutdownGraceTime'/);
      return true;
    });
    await assert.rejects(create({ shutdownForceTime: "soon" }), (error: unknown) => InvalidOptionError.is(error) && error.option === "shutdownForceTime");
    const worker = await create({ shutdownGraceTime: "2s", shutdownForceTime: "1m", shutdownSignals: ["SIGTERM", "SIGTERM"] });
    assert.equal(worker.options.shutdownGraceMs, 2_000);
    assert.equal(worker.options.shutdownForceMs, 60_000);
    assert.deepEqual(worker.options.shutdownSignals, ["SIGTERM"]);
    const defaults = await create({});
    assert.deepEqual(defaults.options.shutdownSignals, ["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR2"], "Temporal's Runtime default");
    assert.equal(defaults.options.shutdownGraceMs, 0);
    assert.equal(defaults.options.shutdownForceMs, undefined);
  } finally {
    await env.teardown();
  }
});

// ---- in one process ----

test("run() listens to its shutdown signals only while it runs; shutdownSignals: [] listens to none", async () => {
  const env = await WorkflowEnvironment.startLocal();
  try {
    const before = listeners();
    const worker = await Worker.create(env, { taskQueue, activities: { a: () => 1 } });
    assert.deepEqual(listeners(), before, "not at create");
    const running = worker.run();
    assert.deepEqual(listeners(), before.map((n) => n + 1), "SIGINT, SIGTERM, SIGQUIT and SIGUSR2 while it runs");
    worker.shutdown();
    await running;
    assert.deepEqual(listeners(), before, "removed when run() ends");
    const quiet = await Worker.create(env, { taskQueue, activities: { a: () => 1 }, shutdownSignals: [] });
    await quiet.runUntil(async () => assert.deepEqual(listeners(), before));
  } finally {
    await env.teardown();
  }
});

test("a signal: STOPPING, DRAINING while the activity has its grace time, DRAINED while the environment is torn down, then STOPPED", async () => {
  const log = join(newFolder(), "activity.log");
  const states: string[] = [];
  const inner = new MemoryHistoryStore();
  let worker: Worker | undefined;
  // The store records the worker's state when the environment closes it.
  const store = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (key === "close") return () => (states.push(`store closed while ${worker?.getState()}`), target.close());
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as HistoryStore;
  const env = await WorkflowEnvironment.startLocal({ store });
  const logger = capturingLogger();
  worker = await Worker.create(env, workerOptions(log, "cooperative", { shutdownSignals: ["SIGUSR2"], shutdownGraceTime: 300, logger }));
  const running = worker.run();
  states.push(worker.getState());
  await env.client.startWorkflow("slowOne", { id: "signal-1", taskQueue, args: ["Ada"] });
  await eventually(async () => logLines(log).length > 0);
  // The listener the worker installed, without a real signal (a real one: the tests below).
  process.emit("SIGUSR2" as "SIGINT", "SIGUSR2" as "SIGINT");
  states.push(worker.getState());
  await eventually(async () => worker!.getState() === "DRAINING");
  states.push(worker.getState());
  await running;
  states.push(worker.getState());
  assert.deepEqual(states, ["RUNNING", "STOPPING", "DRAINING", "store closed while DRAINED", "STOPPED"]);
  await assert.rejects(Worker.create(env, workerOptions(log, "quick")), (error: unknown) => (error as { code?: string }).code === "WFS_ENV_CLOSED");
  assert.deepEqual(logLines(log).map((line) => line.split(" ")[0]), ["start", "cancelled"], "cancelled once the grace time ended");
  assert.match(
    logger.messages("INFO").join("\n"),
    /Received SIGUSR2: shutting down the worker of task queue 'shutdown' \(running activities are cancelled in 300 ms; send the signal again to exit at once\)/,
  );
  assert.equal(process.listenerCount("SIGUSR2"), 0);
});

test("an activity that ends within shutdownGraceTime: run() waits for it and its result is recorded", async () => {
  const log = join(newFolder(), "activity.log");
  const env = await WorkflowEnvironment.startLocal();
  try {
    const worker = await Worker.create(env, workerOptions(log, "quick", { shutdownGraceTime: "10s" }));
    const running = worker.run();
    const handle = await env.client.startWorkflow("slowOne", { id: "grace-1", taskQueue, args: ["Ada"] });
    await eventually(async () => logLines(log).length > 0);
    const started = performance.now();
    worker.shutdown();
    assert.equal(worker.getState(), "STOPPING");
    await running;
    const took = performance.now() - started;
    assert.ok(took < 5_000, `stopped once the activity ended, not at the end of the grace time (${took.toFixed(0)} ms)`);
    assert.equal(worker.getState(), "STOPPED");
    const events = types((await handle.fetchHistory()).events);
    assert.deepEqual(events.slice(-2), ["ActivityTaskScheduled", "ActivityTaskCompleted"], "recorded; the next workflow task is left for the next worker");
    const next = await Worker.create(env, workerOptions(log, "quick"));
    assert.equal(await next.runUntil(handle.result()), "done: Ada quickly");
    assert.equal(logLines(log).length, 1, "the activity ran once");
  } finally {
    await env.teardown();
  }
});

test("an activity still running when shutdownGraceTime ends is cancelled, not recorded, and runs again, as the same attempt, on the next worker", async () => {
  const log = join(newFolder(), "activity.log");
  const env = await WorkflowEnvironment.startLocal();
  try {
    const worker = await Worker.create(env, workerOptions(log, "cooperative", { shutdownGraceTime: 200 }));
    const running = worker.run();
    const handle = await env.client.startWorkflow("slowOne", { id: "grace-2", taskQueue, args: ["Ada"] });
    await eventually(async () => logLines(log).length > 0);
    const started = performance.now();
    worker.shutdown();
    await running;
    const took = performance.now() - started;
    assert.ok(took >= 190 && took < 5_000, `cancelled after the grace time (${took.toFixed(0)} ms)`);
    assert.equal(worker.getState(), "STOPPED");
    assert.deepEqual(types((await handle.fetchHistory()).events).slice(-1), ["ActivityTaskScheduled"], "no outcome recorded");
    const next = await Worker.create(env, workerOptions(log, "cooperative"));
    assert.equal(await next.runUntil(handle.result()), "done: Ada (attempt 1, run 2)");
    assert.deepEqual(logLines(log).map((line) => line.replace(/ \d+$/, "")), ["start 1", "cancelled", "start 1"], "without the pids");
  } finally {
    await env.teardown();
  }
});

test("shutdownForceTime: an activity that ignores its cancellation is abandoned, run() rejects with WFS_SHUTDOWN_FORCED, and the next worker runs it again; the late outcome is not recorded", async () => {
  const log = join(newFolder(), "activity.log");
  const env = await WorkflowEnvironment.startLocal();
  try {
    const logger = capturingLogger();
    // The stubborn attempt takes 2 s whatever happens.
    const worker = await Worker.create(env, workerOptions(log, "stubborn", { shutdownGraceTime: 100, shutdownForceTime: 400, logger }));
    const running = worker.run();
    const handle = await env.client.startWorkflow("slowOne", { id: "force-1", taskQueue, args: ["Ada"] });
    await eventually(async () => logLines(log).length > 0);
    const stubbornEnds = performance.now() + 2_000;
    const started = performance.now();
    worker.shutdown();
    await assert.rejects(running, (error: unknown) => {
      const e = error as Error & { code?: string };
      assert.equal(e.code, "WFS_SHUTDOWN_FORCED");
      assert.equal(e.name, "GracefulShutdownPeriodExpiredError");
      assert.match(e.message, /The worker of task queue 'shutdown' did not stop within 'shutdownForceTime' \(400 ms\): it abandoned 1 activity attempt, which the next worker runs again/);
      return true;
    });
    const took = performance.now() - started;
    assert.ok(took >= 390 && took < 1_800, `forced at shutdownForceTime, not when the activity ended (${took.toFixed(0)} ms)`);
    assert.equal(worker.getState(), "FAILED");
    assert.match(logger.messages("ERROR").join("\n"), /did not stop within 'shutdownForceTime'/);
    assert.deepEqual(logLines(log).map((line) => line.split(" ")[0]), ["start", "ignored"]);
    // The attempt was given back: the next worker runs it at once, while the abandoned one still runs.
    const next = await Worker.create(env, workerOptions(log, "stubborn"));
    const result = await next.runUntil(async () => {
      const value = await handle.result();
      // Let the abandoned attempt end: its result must not be recorded.
      await sleep(Math.max(0, stubbornEnds - performance.now()) + 100);
      return value;
    });
    assert.equal(result, "done: Ada (attempt 1, run 2)");
    const events = types((await handle.fetchHistory()).events);
    assert.equal(events.filter((type) => type === "ActivityTaskCompleted").length, 1);
    assert.equal(events.at(-1), "WorkflowExecutionCompleted");
  } finally {
    await env.teardown();
  }
});

test("the workflow task in flight finishes before run() resolves", async () => {
  const gated = gatedStore();
  const env = await WorkflowEnvironment.startLocal({ store: gated.store });
  try {
    const log = join(newFolder(), "activity.log");
    const worker = await Worker.create(env, workerOptions(log, "quick"));
    gated.hold();
    const running = worker.run();
    let settled = false;
    void running.then(() => (settled = true));
    const handle = await env.client.startWorkflow("twoTasks", { id: "task-1", taskQueue, args: ["Ada"] });
    await eventually(async () => gated.state.waiting === 1);
    worker.shutdown();
    await sleep(200);
    assert.equal(settled, false, "run() waits for the workflow task");
    assert.equal(worker.getState(), "STOPPING");
    gated.release();
    await running;
    assert.equal(worker.getState(), "STOPPED");
    assert.deepEqual(types((await handle.fetchHistory()).events), ["WorkflowExecutionStarted", "WorkflowTaskCompleted", "TimerStarted"]);
  } finally {
    gated.release();
    await env.teardown();
  }
});

test("shutdownForceTime: a workflow task stuck in the store is abandoned, and the next worker completes the workflow from history, each task recorded once", async () => {
  const gated = gatedStore();
  const env = await WorkflowEnvironment.startLocal({ store: gated.store });
  try {
    const log = join(newFolder(), "activity.log");
    const worker = await Worker.create(env, workerOptions(log, "quick", { shutdownForceTime: 300 }));
    gated.hold();
    const running = worker.run();
    const handle = await env.client.startWorkflow("twoTasks", { id: "task-2", taskQueue, args: ["Ada"] });
    await eventually(async () => gated.state.waiting === 1);
    worker.shutdown();
    await assert.rejects(running, /it abandoned 1 workflow task, which the next worker runs again/);
    assert.equal(worker.getState(), "FAILED");
    const next = await Worker.create(env, workerOptions(log, "quick"));
    const result = await next.runUntil(async () => {
      gated.release(); // the abandoned task's write lands (or loses to the next worker's): either way once
      return await handle.result();
    });
    assert.equal(result, "slept: Ada");
    assert.deepEqual(types((await handle.fetchHistory()).events), [
      "WorkflowExecutionStarted",
      "WorkflowTaskCompleted",
      "TimerStarted",
      "TimerFired",
      "WorkflowTaskCompleted",
      "WorkflowExecutionCompleted",
    ]);
  } finally {
    gated.release();
    await env.teardown();
  }
});

// ---- a worker process on a SqliteHistoryStore, sent real signals ----

/**
 * Sends `signal` to the worker process. Not `child.kill(signal)`: Deno's node:child_process (2.9)
 * then reports the child as killed by that signal whatever it did with it (`close` gives
 * `null, "SIGTERM"` for a child that caught it and exited 7; Node gives `7, null`).
 */
function send(worker: WorkerProcess, signal: NodeJS.Signals): void {
  process.kill(worker.child.pid!, signal);
}

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
  stderr(): string;
}

function workerProcess(path: string, log: string, mode: SlowMode, graceMs: number): WorkerProcess {
  const [bin, base] = isDeno ? [process.execPath, ["run", "-A", WORKER_PROCESS]] : [process.execPath, [...process.execArgv, WORKER_PROCESS]];
  const child = spawn(bin, [...base, "--", path, log, mode, String(graceMs)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const exited = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("ready")) resolve();
    });
    void exited.then((result) => reject(new Error(`the worker process exited ${result.code}: ${result.stderr}`)));
  });
  ready.catch(() => {});
  return { child, ready, exited, stderr: () => stderr };
}

/** Rows left in the database by sessions: the leases and claims a closed store gave back. */
async function leftovers(path: string): Promise<{ sessions: number; runOwners: number; activityClaims: number; state: string }> {
  const { DatabaseSync } = await loadSqlite();
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA busy_timeout = 1000");
    const count = (table: string) => Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
    const state = (db.prepare("SELECT value FROM meta WHERE key = 'state'").get() as { value: string }).value;
    return { sessions: count("sessions"), runOwners: count("run_owners"), activityClaims: count("activity_claims"), state };
  } finally {
    db.close();
  }
}

async function startWorkflow(path: string, id: string): Promise<void> {
  const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path, warn: () => {} }) });
  try {
    await env.client.startWorkflow("slowOne", { id, taskQueue, args: ["Ada"] });
  } finally {
    await env.teardown();
  }
}

/** Completes workflow `id` with a worker of this process; returns its result and history. */
async function completeHere(path: string, log: string, id: string) {
  const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path, leaseTimeout: "60s", warn: () => {} }) });
  try {
    const worker = await Worker.create(env, workerOptions(log, "cooperative"));
    return await worker.runUntil(async () => {
      const handle = env.client.getHandle<string>(id);
      return { result: await handle.result(), events: types((await handle.fetchHistory()).events) };
    });
  } finally {
    await env.teardown();
  }
}

test("shutdownForceTime on a SqliteHistoryStore: the abandoned attempt's claim is deleted at once, the run's lease kept until teardown; the next worker completes the workflow", async () => {
  const folder = newFolder();
  const path = join(folder, "histories.db");
  const log = join(folder, "activity.log");
  await startWorkflow(path, "force-sqlite");
  const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path, warn: () => {} }) });
  let stubbornEnds = 0;
  try {
    const worker = await Worker.create(env, workerOptions(log, "stubborn", { shutdownGraceTime: 50, shutdownForceTime: 300 }));
    const running = worker.run();
    await eventually(async () => logLines(log).length > 0);
    stubbornEnds = performance.now() + 2_000;
    worker.shutdown();
    await assert.rejects(running, /it abandoned 1 activity attempt/);
    // This process still has the store open: only the claim is given back, for another process.
    const held = await eventually(async () => {
      const rows = await leftovers(path);
      return rows.activityClaims === 0 && rows;
    });
    assert.equal(held.runOwners, 1, "the run stays this session's until the store closes");
    assert.equal(held.sessions, 1);
  } finally {
    await env.teardown();
  }
  assert.deepEqual(await leftovers(path), { sessions: 0, runOwners: 0, activityClaims: 0, state: "closed" });
  const { result, events } = await completeHere(path, log, "force-sqlite");
  assert.equal(result, "done: Ada (attempt 1, run 2)");
  assert.equal(events.filter((type) => type === "ActivityTaskCompleted").length, 1);
  // The abandoned attempt ends after its store closed: nothing is written, nothing is thrown.
  await sleep(Math.max(0, stubbornEnds - performance.now()) + 100);
});

test("SIGTERM to a worker process: the running activity is cancelled after the grace time, the store closed with its leases given back, the process exits 0; the next worker runs the activity again", async () => {
  const folder = newFolder();
  const path = join(folder, "histories.db");
  const log = join(folder, "activity.log");
  await startWorkflow(path, "sigterm-1");
  const worker = workerProcess(path, log, "cooperative", 300);
  await worker.ready;
  await eventually(async () => logLines(log).length > 0, 20_000);
  const sent = performance.now();
  send(worker, "SIGTERM");
  const exit = await worker.exited;
  const took = performance.now() - sent;
  assert.equal(exit.code, 0, `exited ${exit.code} (${exit.signal}): ${exit.stderr}`);
  assert.deepEqual(JSON.parse(exit.stdout.trim().split("\n").at(-1)!), { state: "STOPPED", envClosed: true });
  assert.ok(took < 10_000, `stopped in ${took.toFixed(0)} ms`);
  assert.match(exit.stderr, /Received SIGTERM: shutting down the worker of task queue 'shutdown' \(running activities are cancelled in 300 ms/);
  assert.doesNotMatch(exit.stderr, /ERROR/);
  assert.deepEqual(logLines(log).map((line) => line.split(" ")[0]), ["start", "cancelled"]);
  // Closed by the worker: no session left, no lease, no claim, and the database marked closed.
  assert.deepEqual(await leftovers(path), { sessions: 0, runOwners: 0, activityClaims: 0, state: "closed" });
  const { result, events } = await completeHere(path, log, "sigterm-1");
  assert.equal(result, "done: Ada (attempt 1, run 2)", "the interrupted attempt was not counted");
  assert.deepEqual(events, [
    "WorkflowExecutionStarted",
    "WorkflowTaskCompleted",
    "ActivityTaskScheduled",
    "ActivityTaskCompleted",
    "WorkflowTaskCompleted",
    "WorkflowExecutionCompleted",
  ]);
});

test("SIGTERM twice to a worker process whose activity ignores its cancellation: the second exits at once with 143; the next worker takes the work over", async () => {
  const folder = newFolder();
  const path = join(folder, "histories.db");
  const log = join(folder, "activity.log");
  await startWorkflow(path, "sigterm-2");
  const worker = workerProcess(path, log, "stubborn", 0);
  await worker.ready;
  await eventually(async () => logLines(log).length > 0, 20_000);
  send(worker, "SIGTERM");
  // The first one was taken: the worker shuts down and waits for the stubborn activity.
  await eventually(async () => /Received SIGTERM: shutting down/.test(worker.stderr()) && logLines(log).some((l) => l.startsWith("ignored")), 10_000);
  await sleep(100);
  assert.equal(worker.child.exitCode, null, "still waiting for the activity");
  const sent = performance.now();
  send(worker, "SIGTERM");
  const exit = await worker.exited;
  const took = performance.now() - sent;
  assert.equal(exit.code, 128 + 15, `exited ${exit.code} (${exit.signal}): ${exit.stderr}`);
  assert.ok(took < 5_000, `exited in ${took.toFixed(0)} ms, not after the activity's 30 s`);
  assert.match(exit.stderr, /Received SIGTERM again while the worker of task queue 'shutdown' was shutting down: exiting at once/);
  const taken = performance.now();
  const { result, events } = await completeHere(path, log, "sigterm-2");
  assert.equal(result, "done: Ada (attempt 1, run 2)");
  assert.equal(events.filter((type) => type === "ActivityTaskCompleted").length, 1);
  const takeover = performance.now() - taken;
  assert.ok(takeover < 20_000, `taken over in ${takeover.toFixed(0)} ms, though the lease timeout is 60 s: the dead process's lock is free`);
  assert.deepEqual(await leftovers(path), { sessions: 0, runOwners: 0, activityClaims: 0, state: "closed" });
});

test.run();
