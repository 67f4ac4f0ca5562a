// The deadlock guard through the worker: code that never yields, after an await, in a microtask,
// in a signal handler, in a query handler and in a module's top-level code, fails its task (or
// its query, or Worker.create) with DeadlockError within the limit plus one second, while the
// worker keeps serving other workflows and the host's own timers keep firing. A poison pill is
// retried with backoff after the others, also after a restart on the durable store; a loaded
// durable store never causes a false deadlock.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { AsyncLocalStorage, createHook } from "node:async_hooks";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  DeadlockError,
  FileHistoryStore,
  QueryFailedError,
  Replayer,
  SandboxedWorkflowRunner,
  Worker,
  type WorkerOptions,
  WorkflowEnvironment,
  type WorkflowHandle,
  type WorkflowInstanceDetails,
  type WorkflowRunner,
  WorkflowValidationError,
} from "../mod.ts";
import { drainMicrotasks, isDeno } from "../loader/runtime.ts";
import { startDeadlockGuard } from "../sandbox/deadlock_guard.ts";
import { GUARD_LIMITS } from "./escape_catalog.ts";
import { capturingLogger, eventually } from "./fixtures/worker/harness.ts";

const workflowsPath = new URL("./fixtures/worker/deadlock/workflows.ts", import.meta.url);
const workflowsFile = fileURLToPath(workflowsPath);
const taskQueue = "deadlock";
const LIMIT_MS = 200;

async function setup(options: Partial<WorkerOptions> = {}, store?: FileHistoryStore) {
  const env = await WorkflowEnvironment.startLocal({
    ...(store === undefined ? {} : { store }),
    workflowTaskRetry: { initialInterval: 50, maximumInterval: 60_000 },
  });
  const logger = capturingLogger();
  const worker = await Worker.create(env, { taskQueue, workflowsPath, logger, deadlockTimeoutMs: LIMIT_MS, ...options });
  const start = (type: string, id: string, args: unknown[] = []) => env.client.startWorkflow(type, { id, taskQueue, args });
  return { env, worker, logger, start };
}

/** Counts the host's own timer ticks: a frozen event loop stops them. */
function hostTicks() {
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(Date.now()), 10);
  return {
    /** The longest gap between two ticks (or since the last one), in milliseconds. */
    longestGap(): number {
      let gap = 0;
      for (let i = 1; i < ticks.length; i++) gap = Math.max(gap, ticks[i]! - ticks[i - 1]!);
      return Math.max(gap, Date.now() - (ticks.at(-1) ?? Date.now()));
    },
    count: () => ticks.length,
    stop: () => clearInterval(timer),
  };
}

/** The line of the fixture that holds `text`. */
async function lineOf(text: string): Promise<number> {
  const { readFileSync } = await import("node:fs");
  const lines = readFileSync(workflowsFile, "utf8").split("\n");
  return lines.findIndex((line) => line.includes(text)) + 1;
}

async function firstFailure(handle: WorkflowHandle) {
  return await eventually(async () => (await handle.describe()).taskFailure, 10_000);
}

/**
 * Starts `type`, waits for its first DeadlockError while a well-behaved workflow (a timer) and the
 * host's timers run, and returns what was seen.
 */
async function stuckWhileOthersRun(type: string, id: string, poke?: (handle: WorkflowHandle) => Promise<void>) {
  const { env, worker, logger, start } = await setup();
  const ticks = hostTicks();
  try {
    return await worker.runUntil(async () => {
      const stuck = await start(type, id);
      if (poke) await poke(stuck);
      const started = Date.now();
      const failure = await firstFailure(stuck);
      const firstFailureMs = Date.now() - started;
      // Meanwhile, and while the stuck task is retried: other workflows, timers included, complete.
      const others = await Promise.all([
        env.client.executeWorkflow("quick", { id: `${id}-quick`, taskQueue, args: [21] }),
        env.client.executeWorkflow("napper", { id: `${id}-napper`, taskQueue, args: [50] }),
      ]);
      await eventually(async () => ((await stuck.describe()).taskFailure?.attempt ?? 0) >= 2, 10_000);
      const description = await stuck.describe();
      await stuck.terminate("test over");
      return { failure, firstFailureMs, others, description, gap: ticks.longestGap(), logger };
    });
  } finally {
    ticks.stop();
    await env.teardown();
  }
}

function assertDeadlock(
  seen: Awaited<ReturnType<typeof stuckWhileOthersRun>>,
  workflow: string,
  line: number,
  phase: "synchronous" | "microtasks",
  location: "required" | "if-known" = "required",
) {
  const { failure, firstFailureMs, others, description, gap } = seen;
  assert.equal(failure.type, "DeadlockError");
  assert.equal(failure.code, "WFS_DEADLOCK");
  assert.match(failure.message, new RegExp(`workflow '${workflow}'`));
  assert.match(failure.message, phase === "synchronous" ? /ran synchronous code/ : /microtasks/);
  // The watchdog (Node) reads where the code was stuck; a vm timeout (Deno) cannot (a row of
  // GUARD_LIMITS). A microtask loop spends part of its time in the runtime's own frames, where a
  // sample may land.
  if (isDeno) assert.equal(failure.location, undefined);
  if (!isDeno && (location === "required" || failure.location !== undefined)) {
    assert.equal(failure.location, `${workflowsFile}:${line}:${failure.location?.split(":").at(-1)}`);
  }
  assert.ok(firstFailureMs < LIMIT_MS + 1_000 + 500, `DeadlockError within the limit plus one second (took ${firstFailureMs} ms)`);
  assert.deepEqual(others, [42, "woke"], "other workflows completed meanwhile");
  assert.equal(description.status.name, "RUNNING", "a deadlock fails the task, not the workflow");
  assert.ok(gap < LIMIT_MS + 1_000, `the host's timers kept firing: longest gap ${gap} ms`);
}

test("a loop after an await: DeadlockError with the workflow and its file:line, the worker serves others", async () => {
  const seen = await stuckWhileOthersRun("loopAfterAwait", "after-await");
  assertDeadlock(seen, "loopAfterAwait", (await lineOf("export const loopAfterAwait")) + 2, "microtasks");
  const logged = seen.logger.entries.find((entry) => entry.level === "ERROR" && entry.message.includes("after-await"));
  assert.ok(logged, "the failed attempt is logged");
  assert.equal(logged.attributes?.code, "WFS_DEADLOCK");
});

test("a microtask that queues itself forever: DeadlockError, the worker serves others", async () => {
  const seen = await stuckWhileOthersRun("microtaskLoop", "microtask");
  assertDeadlock(seen, "microtaskLoop", await lineOf("const again = "), "microtasks", "if-known");
});

test("a signal handler that never returns: DeadlockError, the worker serves others", async () => {
  const seen = await stuckWhileOthersRun("signalLoop", "signal", (handle) => handle.signal("spin"));
  assertDeadlock(seen, "signalLoop", (await lineOf("workflow.defineSignal(\"spin\")")) + 1, "synchronous");
});

test("a module's top-level code that never ends, imported by a run: DeadlockError, the worker serves others", async () => {
  const seen = await stuckWhileOthersRun("topLevelLoop", "top-level");
  const { failure } = seen;
  assert.equal(failure.type, "DeadlockError");
  assert.match(failure.message, /workflow 'topLevelLoop'/);
  if (!isDeno) assert.match(failure.location ?? "", /loops_at_top_level\.ts:3:\d+$/);
  assert.deepEqual(seen.others, [42, "woke"]);
  assert.ok(seen.firstFailureMs < LIMIT_MS + 1_500);
  assert.ok(seen.gap < LIMIT_MS + 1_000, `the host's timers kept firing: longest gap ${seen.gap} ms`);
});

test("with async hooks on (a hook, AsyncLocalStorage in host and workflow), an interrupted microtask leaves the host's context intact", async () => {
  // Promise hooks on: Node keeps an async context stack, which an interrupted promise callback
  // leaves unbalanced; the guard restores it (without that, Node aborts the process).
  const hook = createHook({ init() {}, before() {}, after() {} }).enable();
  const storage = new AsyncLocalStorage<string>();
  const monitored: unknown[] = [];
  const monitor = (error: unknown) => monitored.push(error);
  process.on("uncaughtExceptionMonitor", monitor);
  try {
    const seen = await storage.run("host context", async () => {
      const result = await stuckWhileOthersRun("loopAfterAwait", "hooks");
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { ...result, store: storage.getStore() };
    });
    assertDeadlock(seen, "loopAfterAwait", (await lineOf("export const loopAfterAwait")) + 2, "microtasks");
    assert.equal(seen.store, "host context", "the host's AsyncLocalStorage context survived");
    // Node needed its stack reset (Deno keeps none): its monitor saw the guard's explanation, nothing else.
    if (!isDeno) assert.ok(monitored.length >= 1, "the guard reset Node's async context stack");
    for (const error of monitored) assert.match(String((error as Error).message), /reset its async context stack/);
  } finally {
    process.off("uncaughtExceptionMonitor", monitor);
    hook.disable();
  }
});

test("a loop while history replays (no cache): DeadlockError, also from Replayer.replayWorkflow", async () => {
  const { env, worker, start } = await setup({ maxCachedWorkflows: 0 });
  try {
    const history = await worker.runUntil(async () => {
      const handle = await start("loopOnReplay", "replay");
      const failure = await firstFailure(handle);
      assert.equal(failure.type, "DeadlockError");
      assert.match(failure.message, /workflow 'loopOnReplay'/);
      assert.equal(await env.client.executeWorkflow("quick", { id: "replay-quick", taskQueue, args: [2] }), 4);
      const events = await handle.fetchHistory();
      await handle.terminate("test over");
      return events;
    });
    // The recorded first task, replayed by the Replayer, loops the same way.
    const started = Date.now();
    const error = await Replayer.replayWorkflow(
      { ...history, events: history.events.filter((event) => event.type !== "WorkflowExecutionTerminated") },
      { workflowsPath, deadlockTimeoutMs: LIMIT_MS },
    ).then(() => undefined, (e) => e);
    assert.ok(DeadlockError.is(error), String(error));
    assert.ok(Date.now() - started < LIMIT_MS + 1_500);
  } finally {
    await env.teardown();
  }
});

test("a query handler that never returns: the query fails with DeadlockError, the workflow is unaffected", async () => {
  const { env, worker, start } = await setup();
  const ticks = hostTicks();
  try {
    await worker.runUntil(async () => {
      const handle = await start("queryLoop", "query");
      assert.equal(await eventually(() => handle.query<string>("state")), "waiting");
      const started = Date.now();
      const error = await handle.query("spin").then(() => undefined, (e) => e);
      const took = Date.now() - started;
      assert.ok(error instanceof QueryFailedError, String(error));
      assert.match(error.message, /Potential deadlock: workflow 'queryLoop'/);
      // The cause crossed the payload boundary: a copy that keeps the error's type.
      const cause = error.cause as { type?: string; message?: string };
      assert.equal(cause.type, "DeadlockError", JSON.stringify(cause));
      assert.match(cause.message ?? "", /WFS_DEADLOCK/);
      assert.ok(took < LIMIT_MS + 1_000, `within the limit plus one second (took ${took} ms)`);
      // The interrupted run was discarded; the next query replays a fresh one.
      assert.equal(await handle.query("state"), "waiting");
      assert.equal(await env.client.executeWorkflow("quick", { id: "query-quick", taskQueue, args: [1] }), 2);
      await handle.signal("done");
      assert.equal(await handle.result(), "done");
      assert.equal((await handle.describe()).taskFailure, undefined, "a query never fails the task");
    });
    assert.ok(ticks.longestGap() < LIMIT_MS + 1_000, `the host's timers kept firing: longest gap ${ticks.longestGap()} ms`);
  } finally {
    ticks.stop();
    await env.teardown();
  }
});

test("a workflows module whose top-level code never ends in the sandbox: Worker.create fails with the DeadlockError", async () => {
  const env = await WorkflowEnvironment.startLocal();
  try {
    const started = Date.now();
    const error = await Worker.create(env, {
      taskQueue,
      workflowsPath: new URL("./fixtures/worker/deadlock/top_level_in_sandbox.ts", import.meta.url),
      deadlockTimeoutMs: LIMIT_MS,
      logger: capturingLogger(),
    }).then(() => undefined, (e) => e);
    const took = Date.now() - started;
    assert.ok(WorkflowValidationError.is(error), String(error));
    assert.equal((error as WorkflowValidationError).code, "WFS_VALIDATION");
    const cause = (error as Error).cause as DeadlockError;
    assert.ok(DeadlockError.is(cause), String(cause));
    assert.match(cause.message, /workflow 'unreachable' ran synchronous code \(its modules' top-level code\)/);
    if (!isDeno) assert.match(cause.location ?? "", /top_level_in_sandbox\.ts:6:\d+$/);
    assert.ok(took < 5_000, `Worker.create returned (took ${took} ms)`);
  } finally {
    await env.teardown();
  }
});

/** Records when each workflow's run was (re)built: a retry after a restart builds a new one. */
function recordingRunner(inner: WorkflowRunner): WorkflowRunner & { built: { workflowId: string; at: number }[] } {
  const built: { workflowId: string; at: number }[] = [];
  return {
    built,
    prepare: (definition, options) => inner.prepare(definition, options),
    createInstance(details: WorkflowInstanceDetails) {
      const workflowId = (details.host as { identity?: { workflowId?: string } } | undefined)?.identity?.workflowId ?? "";
      built.push({ workflowId, at: Date.now() });
      return inner.createInstance(details);
    },
  };
}

test("the guard's mechanism per runtime is what docs/design.md and docs/known-limits.md say", async () => {
  // Node: the watchdog thread; Deno: a vm timeout with its microtasks drained through an internal
  // API (GUARD_LIMITS, first row: without it, loops after an await would not be interrupted).
  assert.equal(await startDeadlockGuard(), isDeno ? "vm" : "watchdog");
  assert.equal(typeof drainMicrotasks, "function");
  assert.ok(GUARD_LIMITS.some((row) => row.runtimes === "Deno" && row.today.includes("core.runMicrotasks")));
});

test("a poison pill on the durable store: after a restart the other workflows complete before it is retried", async () => {
  const directory = mkdtempSync(join(tmpdir(), "wfs-poison-"));
  try {
    // First process: the stuck workflow fails its task once; more work arrives while no worker runs.
    const first = await setup({}, await FileHistoryStore.open({ directory, warn: () => {} }));
    await first.worker.runUntil(async () => {
      const stuck = await first.start("loopAfterAwait", "poison");
      await firstFailure(stuck);
    });
    const quick = await Promise.all(
      Array.from({ length: 5 }, (_, i) => first.start("quick", `after-restart-${i}`, [i])),
    );
    await first.env.teardown();

    // The restarted worker: the retry is due at once, the others are first attempts.
    const runner = recordingRunner(new SandboxedWorkflowRunner());
    const second = await setup({ workflowRunner: runner }, await FileHistoryStore.open({ directory, warn: () => {} }));
    const ticks = hostTicks();
    try {
      const closed = await second.worker.runUntil(async () => {
        const results = await Promise.all(quick.map((h) => second.env.client.getHandle(h.workflowId).result()));
        assert.deepEqual(results, [0, 2, 4, 6, 8]);
        const closeTimes = await Promise.all(
          quick.map(async (h) => (await second.env.client.getHandle(h.workflowId).describe()).closeTime!.getTime()),
        );
        const stuck = second.env.client.getHandle("poison");
        await eventually(async () => ((await stuck.describe()).taskFailure?.attempt ?? 0) >= 2, 10_000);
        await stuck.terminate("test over");
        return Math.max(...closeTimes);
      });
      const retried = runner.built.find((entry) => entry.workflowId === "poison");
      assert.ok(retried, "the stuck workflow was retried after the restart");
      assert.ok(retried.at >= closed, `retried after the others completed (${retried.at - closed} ms after)`);
      assert.ok(ticks.longestGap() < LIMIT_MS + 1_000, `the host's timers kept firing: longest gap ${ticks.longestGap()} ms`);
    } finally {
      ticks.stop();
      await second.env.teardown();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("no false deadlock on a loaded durable store: 20 workflows x 20 signals, each activation limited to 100 ms", async () => {
  const directory = mkdtempSync(join(tmpdir(), "wfs-load-"));
  const workflows = 20;
  const signals = 20;
  try {
    const { env, worker, logger, start } = await setup(
      { deadlockTimeoutMs: 100 },
      await FileHistoryStore.open({ directory, warn: () => {} }),
    );
    const results = await worker.runUntil(async () => {
      const handles = await Promise.all(Array.from({ length: workflows }, (_, i) => start("signalCounter", `load-${i}`, [signals])));
      await Promise.all(handles.map(async (handle) => {
        for (let i = 0; i < signals; i++) await handle.signal("add", 1);
      }));
      return await Promise.all(handles.map((handle) => handle.result()));
    });
    await env.teardown();
    assert.deepEqual(results, Array.from({ length: workflows }, () => signals));
    assert.deepEqual(logger.messages("ERROR"), [], "no task failed");
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();
