// The reference worker end to end, in one process: activities, timers, signals, queries, the
// payload boundary, caching and eviction, failures, cancellation, continue-as-new, deadlocks.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  QueryFailedError,
  QueryNotRegisteredError,
  SandboxedWorkflowRunner,
  type StartWorkflowOptions,
  Worker,
  type WorkerOptions,
  workflow,
  WorkflowEnvironment,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from "../mod.ts";
import { createRandom, uuid4From } from "../worker/_random.ts";
import { activities, calls, returned } from "./fixtures/worker/activities.ts";
import { capturingLogger, countingRunner, eventually } from "./fixtures/worker/harness.ts";

const workflowsPath = new URL("./fixtures/worker/workflows.ts", import.meta.url);
const taskQueue = "engine";

async function setup(options: Partial<WorkerOptions> = {}, timeSkipping = true) {
  const env = timeSkipping
    ? await WorkflowEnvironment.startTimeSkipping({ workflowTaskRetry: { initialInterval: 20, maximumInterval: 200 } })
    : await WorkflowEnvironment.startLocal({ workflowTaskRetry: { initialInterval: 20, maximumInterval: 200 } });
  const logger = capturingLogger();
  const worker = await Worker.create(env, { taskQueue, workflowsPath, activities, logger, ...options });
  const start = (type: string, id: string, args: unknown[] = []) =>
    env.client.startWorkflow(type, { id, taskQueue, args } satisfies StartWorkflowOptions);
  return { env, worker, logger, start };
}

const types = (events: readonly { type: string }[]) => events.map((e) => e.type);

test("an activity, a timer, a signal and a query: the workflow completes and history records each step", async () => {
  const { env, worker, start } = await setup();
  const result = await worker.runUntil(async () => {
    const handle = await start("order", "order-1", ["Ada"]);
    await eventually(async () => (await handle.query<string>("status")) === "waiting-approval");
    await handle.signal("approve", "Grace");
    return { value: await handle.result(), description: await handle.describe(), history: await handle.fetchHistory() };
  });
  assert.equal(result.value, "Hello, Ada! Approved by Grace.");
  assert.equal(result.description.status.name, "COMPLETED");
  assert.equal(result.description.type, "order");
  assert.deepEqual(types(result.history.events), [
    "WorkflowExecutionStarted",
    "WorkflowTaskCompleted",
    "ActivityTaskScheduled",
    "ActivityTaskCompleted",
    "WorkflowTaskCompleted",
    "TimerStarted",
    "TimerFired",
    "WorkflowTaskCompleted",
    "WorkflowExecutionSignaled",
    "WorkflowTaskCompleted",
    "WorkflowExecutionCompleted",
  ]);
  const timer = result.history.events.find((e) => e.type === "TimerStarted")!;
  assert.equal(timer.firesAt, timer.timestamp + 50, "timers store an absolute deadline");
  await env.teardown();
});

test("signals sent before their handler is set are buffered and delivered in order; queries read the state", async () => {
  const { env, worker, start } = await setup();
  const value = await worker.runUntil(async () => {
    const handle = await start("counter", "counter-1", [6]);
    await handle.signal("add", 1);
    await handle.signal("add", 2);
    assert.equal(await handle.query("count"), 3);
    await handle.signal("add", 3);
    return handle.result();
  });
  assert.equal(value, 6);
  await env.teardown();
});

test("maxCachedWorkflows 0 replays every task in a fresh sandbox and gives identical results", async () => {
  const outcomes = [];
  for (const maxCachedWorkflows of [1000, 0]) {
    const runner = countingRunner(new SandboxedWorkflowRunner());
    const { env, worker, start } = await setup({ maxCachedWorkflows, workflowRunner: runner });
    const outcome = await worker.runUntil(async () => {
      const order = await start("order", "order", ["Ada"]);
      await eventually(async () => (await order.query<string>("status")) === "waiting-approval");
      await order.signal("approve", "Grace");
      const clocks = await start("clocks", "clocks");
      return {
        order: await order.result(),
        orderEvents: types((await order.fetchHistory()).events),
        clocks: await clocks.result() as { now: number; random: number; uuid: string; length: number }[],
        clockHistory: (await clocks.fetchHistory()).events,
      };
    });
    // now() is each task's recorded start; random()/uuid4() continue one seeded sequence.
    const started = outcome.clockHistory.filter((e) => e.type === "WorkflowTaskCompleted").map((e) => e.startedTime);
    assert.deepEqual(outcome.clocks.map((s) => s.now), started);
    const random = createRandom(String(outcome.clockHistory[0]!.randomnessSeed));
    for (const sample of outcome.clocks) {
      assert.equal(sample.random, random());
      assert.equal(sample.uuid, uuid4From(random));
    }
    assert.deepEqual(outcome.clocks.map((s) => s.length), outcome.clockHistory.filter((e) => e.type === "WorkflowTaskCompleted").map((e) => e.eventId));
    outcomes.push({ order: outcome.order, orderEvents: outcome.orderEvents, instances: runner.instances, cached: worker.cachedWorkflows });
    await env.teardown();
  }
  const [cached, uncached] = outcomes;
  assert.equal(uncached!.order, cached!.order);
  assert.deepEqual(uncached!.orderEvents, cached!.orderEvents);
  // Cached: one instance per run (plus one per query after it closed). Uncached: one per task and query.
  assert.ok(uncached!.instances > cached!.instances + 4, `${uncached!.instances} vs ${cached!.instances}`);
});

test("mutating an activity result or a signal payload in the workflow changes neither history nor host objects", async () => {
  const { env, worker, start } = await setup();
  returned.length = 0;
  const payload = { items: ["from-client"] };
  const { result, history } = await worker.runUntil(async () => {
    const handle = await start("mutator", "mutator-1");
    await handle.signal("data", payload);
    return { result: await handle.result(), history: await handle.fetchHistory() };
  });
  assert.deepEqual(result, {
    profile: { id: "changed", tags: ["original", "mutated-by-workflow"] },
    received: { items: ["from-client", "mutated-by-workflow"] },
  });
  assert.deepEqual(payload, { items: ["from-client"] }, "the client's object");
  assert.deepEqual(returned, [{ id: "p1", tags: ["original"] }], "the activity's returned object");
  const completed = history.events.find((e) => e.type === "ActivityTaskCompleted")!;
  assert.deepEqual(JSON.parse((completed.result as { data: string }).data), { id: "p1", tags: ["original"] });
  const signaled = history.events.find((e) => e.type === "WorkflowExecutionSignaled")!;
  assert.deepEqual(JSON.parse((signaled.args as { data: string }[])[0]!.data), { items: ["from-client"] });
  await env.teardown();
});

test("an infinite synchronous loop fails its task with a deadlock error while the worker serves other workflows", async () => {
  // 1 s, not less: the limit is wall time, and the worker's validation of every workflow in the
  // fixture runs under it too; at 100 ms a CI machine at load 7 interrupted a validation run.
  const { env, worker, logger, start } = await setup({ deadlockTimeoutMs: 1000 });
  const { greeting, description } = await worker.runUntil(async () => {
    const stuck = await start("spin", "spin-1");
    await eventually(async () => ((await stuck.describe()).taskFailure?.attempt ?? 0) >= 2);
    const greeting = await env.client.executeWorkflow("greet", { id: "greet-1", taskQueue, args: ["Ada"] });
    const description = await stuck.describe();
    await stuck.terminate("test over");
    return { greeting, description };
  });
  assert.equal(greeting, "Hello, Ada!");
  assert.equal(description.status.name, "RUNNING");
  assert.equal(description.taskFailure?.type, "DeadlockError");
  assert.match(description.taskFailure!.message, /WFS_DEADLOCK/);
  assert.equal(description.historyLength, 1, "history is unchanged by task failures");
  assert.ok(logger.messages("ERROR").some((m) => m.includes("Workflow task failed") && m.includes("spin-1")));
  await env.teardown();
});

test("activities retry with backoff, and history records only the final outcome", async () => {
  const { env, worker, start } = await setup();
  calls.flaky = 0;
  const { value, events } = await worker.runUntil(async () => {
    const handle = await start("retries", "retries-1", [2]);
    return { value: await handle.result(), events: types((await handle.fetchHistory()).events) };
  });
  assert.equal(value, "succeeded on attempt 3");
  assert.equal(calls.flaky, 3);
  assert.equal(events.filter((t) => t.startsWith("ActivityTask")).join(), "ActivityTaskScheduled,ActivityTaskCompleted");
  await env.teardown();
});

test("a non-retryable ApplicationFailure reaches the workflow as ActivityFailure with its type and details", async () => {
  const { env, worker, start } = await setup();
  calls.rejectPayment = 0;
  const value = await worker.runUntil(async () => (await start("payment", "payment-1")).result());
  assert.equal(value, 'PaymentError: Card declined [{"code":51}]');
  assert.equal(calls.rejectPayment, 1);
  await env.teardown();
});

test("startToCloseTimeout fails each attempt with TimeoutFailure and maximumAttempts ends the retries", async () => {
  const { env, worker, start } = await setup();
  const value = await worker.runUntil(async () => (await start("timesOut", "timeout-1")).result());
  assert.equal(value, "ActivityFailure/TimeoutFailure/START_TO_CLOSE/MAXIMUM_ATTEMPTS_REACHED");
  await env.teardown();
});

test("a deliberate ApplicationFailure fails the workflow; the client gets WorkflowFailedError with the cause", async () => {
  const { env, worker, start } = await setup();
  const { error, description } = await worker.runUntil(async () => {
    const handle = await start("fails", "fails-1");
    const error = await handle.result().catch((e: unknown) => e);
    return { error, description: await handle.describe() };
  });
  assert.ok(error instanceof WorkflowFailedError);
  assert.equal(error.code, "WFS_WORKFLOW_FAILED");
  assert.equal(error.retryState, "NON_RETRYABLE_FAILURE");
  assert.equal(error.message, `Workflow execution failed. ${WorkflowFailedError.HINT} (WFS_WORKFLOW_FAILED)`);
  const cause = error.cause as ApplicationFailure;
  assert.ok(cause instanceof ApplicationFailure);
  assert.equal(cause.type, "StockError");
  assert.equal(cause.message, "out of stock");
  assert.deepEqual(cause.details, [{ sku: "A1" }]);
  assert.equal(description.status.name, "FAILED");
  await env.teardown();
});

test("a non-deliberate error fails the workflow task (not the workflow): retried, logged with file:line, shown by describe()", async () => {
  const { env, worker, logger, start } = await setup();
  const description = await worker.runUntil(async () => {
    const handle = await start("buggy", "buggy-1");
    await eventually(async () => ((await handle.describe()).taskFailure?.attempt ?? 0) >= 3);
    const description = await handle.describe();
    assert.deepEqual(types((await handle.fetchHistory()).events), ["WorkflowExecutionStarted"]);
    await handle.terminate();
    return description;
  });
  assert.equal(description.status.name, "RUNNING");
  assert.equal(description.taskFailure?.type, "TypeError");
  assert.match(description.taskFailure!.location!, /fixtures\/worker\/workflows\.ts:\d+:\d+$/);
  assert.ok(description.taskFailure!.nextAttemptTime instanceof Date);
  const logged = logger.messages("ERROR").find((m) => m.includes("buggy-1"))!;
  assert.match(logged, /TypeError: .*\(at .*fixtures\/worker\/workflows\.ts:\d+:\d+\)/);
  await env.teardown();
});

test("failureErrorTypes, per definition or worker-wide, turn a chosen error type into a workflow failure", async () => {
  const { env, worker, start } = await setup();
  const strict = await worker.runUntil(async () => (await start("strict", "strict-1")).result().catch((e: unknown) => e));
  assert.ok(strict instanceof WorkflowFailedError);
  assert.equal((strict.cause as ApplicationFailure).type, "TypeError");
  await env.teardown();

  const wide = await setup({ workflowFailureErrorTypes: [TypeError] });
  const buggy = await wide.worker.runUntil(async () => (await wide.start("buggy", "buggy-2")).result().catch((e: unknown) => e));
  assert.ok(buggy instanceof WorkflowFailedError);
  assert.equal((buggy.cause as ApplicationFailure).type, "TypeError");
  await wide.env.teardown();
});

test("cancel(): pending timers reject with CancelledFailure, cleanup with its own signal still runs, the workflow ends CANCELLED", async () => {
  const { env, worker, logger, start } = await setup({}, false);
  const { error, description, events } = await worker.runUntil(async () => {
    const handle = await start("sleeper", "sleeper-1", [60_000]);
    await eventually(async () => (await handle.fetchHistory()).events.some((e) => e.type === "TimerStarted"));
    await handle.cancel();
    const error = await handle.result().catch((e: unknown) => e);
    return { error, description: await handle.describe(), events: types((await handle.fetchHistory()).events) };
  });
  assert.ok(error instanceof WorkflowFailedError);
  assert.ok(error.cause instanceof CancelledFailure);
  assert.equal(description.status.name, "CANCELLED");
  assert.ok(events.includes("WorkflowExecutionCancelRequested"));
  assert.ok(events.includes("TimerCanceled"));
  assert.ok(events.includes("ActivityTaskCompleted"), "the cleanup activity ran");
  assert.equal(events.at(-1), "WorkflowExecutionCanceled");
  assert.ok(logger.messages("INFO").includes("cleaned up"));
  await env.teardown();
});

test("activity cancellation types: TRY_CANCEL and ABANDON reject at once, WAIT_CANCELLATION_COMPLETED waits for the activity", async () => {
  const { env, worker, start } = await setup({}, false);
  const results = await worker.runUntil(async () => {
    const out: Record<string, { value: unknown; events: string[] }> = {};
    for (const type of ["TRY_CANCEL", "ABANDON", "WAIT_CANCELLATION_COMPLETED"]) {
      const handle = await start("cancelActivity", `cancel-${type}`, [type]);
      out[type] = { value: await handle.result(), events: types((await handle.fetchHistory()).events) };
    }
    return out;
  });
  for (const type of ["TRY_CANCEL", "ABANDON", "WAIT_CANCELLATION_COMPLETED"]) assert.equal(results[type]!.value, "ActivityFailure:true", type);
  assert.ok(results.TRY_CANCEL!.events.includes("ActivityTaskCancelRequested"));
  assert.ok(!results.ABANDON!.events.includes("ActivityTaskCancelRequested"));
  const wait = results.WAIT_CANCELLATION_COMPLETED!.events;
  assert.ok(wait.indexOf("ActivityTaskCanceled") > wait.indexOf("ActivityTaskCancelRequested"));
  await env.teardown();
});

test("condition with a timeout: false when the timer fires first, true (and the timer cancelled) when it holds first", async () => {
  const { env, worker, start } = await setup();
  const [late, early] = await worker.runUntil(async () => {
    const late = await (await start("deadline", "deadline-late", [3_600_000])).result();
    const handle = await start("deadline", "deadline-early", [3_600_000]);
    await handle.signal("done");
    return [late, { value: await handle.result(), events: types((await handle.fetchHistory()).events) }] as const;
  });
  assert.equal(late, false);
  assert.equal(early.value, true);
  assert.ok(early.events.includes("TimerCanceled"));
  await env.teardown();
});

test("continueAsNew starts a new run of the same workflow id; result() follows the chain", async () => {
  const { env, worker, start } = await setup();
  const { value, first } = await worker.runUntil(async () => {
    const handle = await start("chain", "chain-1", [2]);
    const value = await handle.result();
    return { value, first: await env.client.getHandle("chain-1", handle.firstExecutionRunId).describe() };
  });
  assert.deepEqual(value, ["2:first", "1:continued", "0:continued"]);
  assert.equal(first.status.name, "CONTINUED_AS_NEW");
  await env.teardown();
});

test("activities get their context as this and from Context.current()", async () => {
  const { env, worker, start } = await setup();
  const value = await worker.runUntil(async () => (await start("contextInfo", "context-1")).result());
  assert.equal(value, "whoAmI#1@contextInfo");
  await env.teardown();
});

test("workflow.logger is silent while history replays", async () => {
  const { env, worker, logger, start } = await setup({ maxCachedWorkflows: 0 });
  await worker.runUntil(async () => (await start("logs", "logs-1")).result());
  assert.deepEqual(logger.messages("INFO").filter((m) => m.endsWith("sleep")), ["before sleep", "after sleep"]);
  const after = logger.entries.find((e) => e.message === "after sleep")!;
  assert.equal(after.attributes.replaying, false);
  assert.equal(after.attributes.workflowId, "logs-1");
  await env.teardown();
});

test("queries: an unknown name and a handler that tries to change the workflow fail clearly", async () => {
  const { env, worker, start } = await setup({}, false);
  const [unknown, command] = await worker.runUntil(async () => {
    const handle = await start("queryCommand", "query-1");
    await eventually(async () => (await handle.describe()).historyLength > 1);
    const unknown = await handle.query("nope").catch((e: unknown) => e);
    const command = await handle.query("bad").catch((e: unknown) => e);
    await handle.terminate();
    return [unknown, command];
  });
  assert.ok(unknown instanceof QueryNotRegisteredError);
  assert.match(unknown.message, /no query handler 'nope' \(registered: 'bad'\)\. Add one with @workflow\.query.*\(WFS_QUERY_NOT_REGISTERED\)$/);
  assert.equal(unknown.code, "WFS_QUERY_NOT_REGISTERED");
  assert.ok(command instanceof QueryFailedError);
  assert.match(command.message, /workflow\.sleep\(\.\.\.\) cannot be used in a query handler.*WFS_QUERY_COMMAND.*\(WFS_QUERY_FAILED\)$/);
  assert.equal(command.code, "WFS_QUERY_FAILED");
  await env.teardown();
});

test("a definition with sandboxed: false runs on the unsandboxed runner (Date.now() works there)", async () => {
  const { env, worker, start } = await setup();
  const value = await worker.runUntil(async () => (await start("unsandboxedClock", "unsandboxed-1")).result());
  assert.equal(value, "number");
  await env.teardown();
});

test("every workflow.* call outside a workflow throws an error naming the call", () => {
  const calls: [string, () => unknown][] = [
    ["workflow.now()", () => workflow.now()],
    ["workflow.random()", () => workflow.random()],
    ["workflow.uuid4()", () => workflow.uuid4()],
    ["workflow.sleep(...)", () => workflow.sleep(1)],
    ["workflow.executeActivity(...)", () => workflow.executeActivity("a", [], { startToCloseTimeout: 1 })],
    ["workflow.patched(...)", () => workflow.patched("p")],
    ["workflow.deprecatePatch(...)", () => workflow.deprecatePatch("p")],
    ["workflow.continueAsNew(...)", () => workflow.continueAsNew()],
    ["workflow.info()", () => workflow.info()],
    ["workflow.logger.info(...)", () => workflow.logger.info("x")],
    ["workflow.setHandler(...)", () => workflow.setHandler(workflow.defineSignal("s"), () => {})],
    ["workflow.cancellationSignal()", () => workflow.cancellationSignal()],
  ];
  for (const [name, call] of calls) {
    assert.throws(call, (error: Error & { code?: string }) => {
      assert.ok(error.message.startsWith(`${name} may only be used from a workflow`), error.message);
      assert.equal(error.code, "WFS_NOT_IN_WORKFLOW");
      return true;
    });
  }
  return assert.rejects(() => workflow.condition(() => true), /workflow\.condition\(\.\.\.\) may only be used from a workflow/);
});

test("options are validated with zod and errors name the option", async () => {
  const env = await WorkflowEnvironment.startLocal();
  const create = (options: unknown) => Worker.create(env, options as WorkerOptions);
  await assert.rejects(create({ taskQueue: "q", workflowsPath, maxCachedWorkflows: -1 }), /Invalid option 'maxCachedWorkflows' of Worker\.create\(\).*WFS_INVALID_OPTION/);
  await assert.rejects(
    create({ taskQueue: "q", workflowsPath, maxCachedWorkflow: 1 }),
    /Unknown option 'maxCachedWorkflow' of Worker\.create\(\)\. Correct its spelling or remove it; the options are 'taskQueue'.*\(WFS_INVALID_OPTION\)$/,
  );
  await assert.rejects(create({ taskQueue: "q", workflowsPath, maxCachedWorkflows: "many" }), (error: Error & { code?: string; option?: string; hint?: string }) => {
    assert.ok(error instanceof TypeError);
    assert.equal(error.name, "InvalidOptionError");
    assert.equal(error.code, "WFS_INVALID_OPTION");
    assert.equal(error.option, "maxCachedWorkflows");
    assert.match(error.hint!, /Give 'maxCachedWorkflows' a value of the expected type/);
    return true;
  });
  await assert.rejects(create({ workflowsPath }), /Invalid option 'taskQueue' of Worker\.create\(\)/);
  await assert.rejects(create({ taskQueue: "q", activities: { a: 1 } }), /Invalid option 'activities\.a' of Worker\.create\(\): expected a function/);
  await assert.rejects(
    create({ taskQueue: "q" }),
    /needs work to do: it was given neither 'workflowsPath' nor 'activities'\. Set 'workflowsPath'.*, 'activities', or both \(WFS_INVALID_OPTION\)$/,
  );
  await assert.rejects(
    env.client.startWorkflow("greet", { taskQueue: "q" } as StartWorkflowOptions),
    /Missing option 'id' of client\.startWorkflow\(\): every workflow needs an id\. Set 'id', e\.g\. \{ id: 'order-42' \} \(WFS_INVALID_OPTION\)$/,
  );
  await assert.rejects(
    WorkflowEnvironment.startLocal({ workflowTaskRetry: { initialInterval: "soon" } } as never),
    /Invalid option 'workflowTaskRetry\.initialInterval' of WorkflowEnvironment\.startLocal\(\)/,
  );
  await env.teardown();
});

test("client errors: starting a running workflow id again, signalling an unknown id", async () => {
  const { env, worker, start } = await setup({}, false);
  await worker.runUntil(async () => {
    const handle = await start("counter", "dup-1", [1]);
    await assert.rejects(start("counter", "dup-1", [1]), WorkflowExecutionAlreadyStartedError);
    await assert.rejects(env.client.getHandle("missing").signal("add", 1), WorkflowNotFoundError);
    await handle.signal("add", 1);
    assert.equal(await handle.result(), 1);
    await assert.rejects(handle.signal("add", 1), /already completed/);
  });
  await env.teardown();
});

test("invalid activity options fail the workflow task, naming the option", async () => {
  const { env, worker, start } = await setup();
  const messages = await worker.runUntil(async () => {
    const out: string[] = [];
    for (const kind of ["no-timeout", "bad-retry"]) {
      const handle = await start("badOptions", `bad-${kind}`, [kind]);
      out.push((await eventually(async () => (await handle.describe()).taskFailure)).message);
      await handle.terminate();
    }
    return out;
  });
  assert.match(
    messages[0]!,
    /workflow\.executeActivity\('compose'\) needs a timeout: it has neither 'startToCloseTimeout' nor 'scheduleToCloseTimeout'\. Set 'startToCloseTimeout' \(one attempt\).* \(WFS_INVALID_OPTION\)/,
  );
  assert.match(messages[1]!, /Invalid option 'retry\.maximumAttempts' of workflow\.executeActivity\('compose'\)/);
  await env.teardown();
});

test("an unknown workflow type fails the workflow task, naming the registered types", async () => {
  const { env, worker, start } = await setup();
  const description = await worker.runUntil(async () => {
    const handle = await start("nope", "nope-1");
    await eventually(async () => (await handle.describe()).taskFailure);
    const description = await handle.describe();
    await handle.terminate();
    return description;
  });
  assert.match(description.taskFailure!.message, /Workflow type 'nope' is not registered .*WFS_UNKNOWN_WORKFLOW_TYPE/);
  await env.teardown();
});

test("a replaceable payload converter carries every value across the boundary", async () => {
  const seen: string[] = [];
  const converter = {
    toPayload(value: unknown) {
      seen.push("to");
      return value === undefined ? { metadata: { encoding: "binary/null" } } : { metadata: { encoding: "json/tagged" }, data: JSON.stringify({ v: value }) };
    },
    fromPayload(payload: { metadata: { encoding: string }; data?: string }) {
      seen.push("from");
      return payload.data === undefined ? undefined : JSON.parse(payload.data).v;
    },
  };
  const env = await WorkflowEnvironment.startTimeSkipping({ payloadConverter: converter });
  const worker = await Worker.create(env, { taskQueue, workflowsPath, activities, logger: capturingLogger() });
  const value = await worker.runUntil(env.client.executeWorkflow("greet", { id: "conv-1", taskQueue, args: ["Ada"] }));
  assert.equal(value, "Hello, Ada!");
  const history = await env.client.getHandle("conv-1").fetchHistory();
  assert.equal((history.events[0]!.args as { metadata: { encoding: string } }[])[0]!.metadata.encoding, "json/tagged");
  assert.ok(seen.filter((s) => s === "to").length >= 4 && seen.filter((s) => s === "from").length >= 4);
  await env.teardown();
});

test("Worker.create() fails with WorkflowValidationError when a workflow cannot load in the sandbox", async () => {
  const env = await WorkflowEnvironment.startLocal();
  await assert.rejects(
    Worker.create(env, { taskQueue, workflowsPath: new URL("./fixtures/worker/invalid/workflows.ts", import.meta.url) }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, "WFS_VALIDATION");
      assert.match(error.message, /Failed validating workflow "broken".*refuses to load in the sandbox/);
      return true;
    },
  );
  await env.teardown();
});

test("ActivityFailure and ApplicationFailure keep their identity across package copies (Symbol.for brands)", () => {
  const failure = new ActivityFailure("x", "a", "1", "UNSPECIFIED");
  const fake = Object.create({ [Symbol.for("workflow-sandbox.failure.ActivityFailure")]: true, [Symbol.for("workflow-sandbox.failure.TemporalFailure")]: true });
  assert.ok(failure instanceof ActivityFailure);
  assert.ok(fake instanceof ActivityFailure);
  assert.ok(!(fake instanceof ApplicationFailure));
});

test.run();
