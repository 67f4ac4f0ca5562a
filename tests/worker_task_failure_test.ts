// Task-failure semantics (python-sandbox.md §2.7): a restricted access fails the workflow *task*:
// the workflow stays running, each failed attempt is logged and described with the workflow
// file:line, history is unchanged; once the code is fixed and the worker restarted, the same
// workflow completes. `sandboxed: false` runs the same call; failure types escalate it.
// Every thrown value fails the task, `throw undefined` included (WFS_NON_ERROR_THROWN), and each
// failed attempt is one log line: the message once, the stack and the fields as attributes.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type ApplicationFailure,
  defaultPayloadConverter,
  FileHistoryStore,
  type HistoryEvent,
  Replayer,
  Worker,
  WorkflowEnvironment,
  WorkflowFailedError,
} from "../mod.ts";
import { capturingLogger, eventually } from "./fixtures/worker/harness.ts";

const broken = new URL("./fixtures/worker/date_now/workflows.ts", import.meta.url);
const thrown = new URL("./fixtures/worker/thrown/workflows.ts", import.meta.url);
const retry = { initialInterval: 20, maximumInterval: 100 };

/** The fixed workflow module: the marked line replaced, imports made absolute. */
function writeFix(folder: string): URL {
  const mod = pathToFileURL(fileURLToPath(new URL("../mod.ts", import.meta.url))).href;
  const source = readFileSync(broken, "utf8")
    .split("\n")
    .map((line) => (line.includes("// FIX: ") ? `  ${line.slice(line.indexOf("// FIX: ") + 8)}` : line))
    .join("\n")
    .replace(`from "workflow-sandbox"`, `from ${JSON.stringify(mod)}`);
  const path = join(folder, "workflows_fixed.ts");
  writeFileSync(path, source);
  return pathToFileURL(path);
}

test("Date.now() in a workflow: tasks fail naming file:line, the workflow stays running, and completes after the fix and a restart", async () => {
  const folder = mkdtempSync(join(tmpdir(), "wfs-date-now-"));
  try {
    const directory = join(folder, "store");
    // First worker process: the broken code.
    const env = await WorkflowEnvironment.startLocal({ store: await FileHistoryStore.open({ directory }), workflowTaskRetry: retry });
    const logger = capturingLogger();
    const worker = await Worker.create(env, { taskQueue: "clock", workflowsPath: broken, logger });
    const handle = await env.client.startWorkflow("stamp", { id: "stamp-1", taskQueue: "clock", args: ["order"] });
    const description = await worker.runUntil(eventually(async () => {
      const d = await handle.describe();
      return (d.taskFailure?.attempt ?? 0) >= 2 && d;
    }));
    assert.equal(description.status.name, "RUNNING");
    assert.equal(description.taskFailure!.type, "RestrictedWorkflowAccessError");
    const line = readFileSync(broken, "utf8").split("\n").findIndex((l) => l.includes("// FIX: ")) + 1;
    assert.match(description.taskFailure!.location!, new RegExp(`fixtures/worker/date_now/workflows\\.ts:${line}:\\d+$`));
    assert.match(description.taskFailure!.message, /globalThis\.Date\.now\.__call__.*Use workflow\.now\(\) instead/);
    const failures = logger.messages("ERROR").filter((m) => m.startsWith("Workflow task failed") && m.includes("stamp-1"));
    assert.ok(failures.length >= 2, "every failed attempt is logged");
    assert.match(failures[0]!, new RegExp(`date_now/workflows\\.ts:${line}:\\d+`));
    assert.deepEqual((await handle.fetchHistory()).events.map((e) => e.type), ["WorkflowExecutionStarted"], "history is unchanged");
    await env.teardown();

    // Restart with the fixed code: a new process would open the same folder.
    const fixed = writeFix(folder);
    const env2 = await WorkflowEnvironment.startLocal({ store: await FileHistoryStore.open({ directory }), workflowTaskRetry: retry });
    const worker2 = await Worker.create(env2, { taskQueue: "clock", workflowsPath: fixed, logger: capturingLogger() });
    const handle2 = env2.client.getHandle("stamp-1");
    assert.equal(await worker2.runUntil(handle2.result()), "order started at number");
    const after = await handle2.describe();
    assert.equal(after.status.name, "COMPLETED");
    assert.equal(after.taskFailure, undefined);
    await env2.teardown();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("a definition with sandboxed: false runs Date.now() without error", async () => {
  const env = await WorkflowEnvironment.startTimeSkipping();
  const worker = await Worker.create(env, { taskQueue: "clock", workflowsPath: broken, logger: capturingLogger() });
  const value = await worker.runUntil(env.client.executeWorkflow("hostStamp", { id: "host-1", taskQueue: "clock", args: ["order"] }));
  assert.equal(value, "order started at number");
  await env.teardown();
});

test("workflowFailureErrorTypes including NondeterminismError (a base class, by name) fails the workflow instead", async () => {
  const env = await WorkflowEnvironment.startTimeSkipping();
  const worker = await Worker.create(env, {
    taskQueue: "clock",
    workflowsPath: broken,
    logger: capturingLogger(),
    workflowFailureErrorTypes: ["NondeterminismError"],
  });
  const error = await worker.runUntil(
    env.client.executeWorkflow("stamp", { id: "stamp-2", taskQueue: "clock", args: ["x"] }).catch((e: unknown) => e),
  );
  assert.ok(error instanceof WorkflowFailedError);
  assert.equal((error.cause as ApplicationFailure).type, "RestrictedWorkflowAccessError");
  await env.teardown();
});

test("a Symbol.for brand in workflowFailureErrorTypes matches errors from any copy of the package", async () => {
  const env = await WorkflowEnvironment.startTimeSkipping();
  const worker = await Worker.create(env, {
    taskQueue: "clock",
    workflowsPath: broken,
    logger: capturingLogger(),
    workflowFailureErrorTypes: [Symbol.for("workflow-sandbox.error.RestrictedWorkflowAccessError")],
  });
  const error = await worker.runUntil(
    env.client.executeWorkflow("stamp", { id: "stamp-3", taskQueue: "clock", args: ["x"] }).catch((e: unknown) => e),
  );
  assert.ok(error instanceof WorkflowFailedError);
  await env.teardown();
});

const KINDS: Record<string, RegExp> = {
  undefined: /threw undefined, which is not an Error/,
  null: /threw null, which is not an Error/,
  symbol: /threw a symbol, Symbol\(boom\), which is not an Error/,
  string: /threw the string 'a string', which is not an Error/,
  number: /threw the number 42, which is not an Error/,
  object: /threw an object: \{ plain: 1 \}, which is not an Error/,
};

test("every thrown value fails the task visibly with WFS_NON_ERROR_THROWN: in the run method, after an await, in a signal handler, sandboxed or not", async () => {
  const env = await WorkflowEnvironment.startLocal({ workflowTaskRetry: retry });
  const logger = capturingLogger();
  const worker = await Worker.create(env, { taskQueue: "thrown", workflowsPath: thrown, logger });
  const cases: [string, string, string][] = [];
  for (const kind of Object.keys(KINDS)) for (const where of ["run", "after-await", "signal"]) cases.push([kind, where, "thrower"]);
  for (const where of ["run", "after-await", "signal"]) cases.push(["undefined", where, "hostThrower"]);
  const described = await worker.runUntil(async () => {
    const handles = await Promise.all(cases.map(async ([kind, where, type]) => {
      const handle = await env.client.startWorkflow(type, { id: `${type}-${kind}-${where}`, taskQueue: "thrown", args: [kind, where] });
      return handle;
    }));
    return Promise.all(handles.map(async (handle, i) => {
      if (cases[i]![1] === "signal") {
        await eventually(async () => (await handle.fetchHistory()).events.some((e) => e.type === "WorkflowTaskCompleted"));
        await handle.signal("poke");
      }
      await eventually(async () => (await handle.describe()).taskFailure);
      return handle.describe();
    }));
  });
  for (const [i, [kind, where, type]] of cases.entries()) {
    const { status, taskFailure } = described[i]!;
    const what = `${type} ${kind} ${where}`;
    assert.equal(status.name, "RUNNING", what);
    assert.equal(taskFailure?.code, "WFS_NON_ERROR_THROWN", what);
    assert.match(taskFailure!.message, KINDS[kind]!, what);
    assert.match(taskFailure!.message, new RegExp(`Workflow '${type}-${kind}-${where}' \\(type '${type}'`), what);
    assert.match(taskFailure!.message, /Throw an Error .* \(WFS_NON_ERROR_THROWN\)$/, what);
    const logged = logger.entries.filter((e) => e.level === "ERROR" && e.attributes.workflowId === `${type}-${kind}-${where}`);
    assert.ok(logged.length >= 1, `${what}: the failed attempt is logged`);
    assert.equal(logged[0]!.attributes.code, "WFS_NON_ERROR_THROWN", what);
  }
  await env.teardown();
});

test("the value thrown is kept as the cause, undefined included", async () => {
  // A recorded first task (no commands) whose code now throws: the replayer rejects with the task's error.
  const history = (kind: string): HistoryEvent[] => [
    {
      eventId: 1,
      type: "WorkflowExecutionStarted",
      timestamp: 1_000,
      workflowType: "thrower",
      taskQueue: "thrown",
      args: [defaultPayloadConverter.toPayload(kind), defaultPayloadConverter.toPayload("run")] as never,
    },
    { eventId: 2, type: "WorkflowTaskCompleted", timestamp: 1_001 },
  ];
  const causes: Record<string, (cause: unknown) => boolean> = {
    undefined: (cause) => cause === undefined,
    null: (cause) => cause === null,
    symbol: (cause) => typeof cause === "symbol" && cause.description === "boom",
    string: (cause) => cause === "a string",
    number: (cause) => cause === 42,
    object: (cause) => typeof cause === "object" && cause !== null && (cause as { plain?: unknown }).plain === 1,
  };
  for (const [kind, check] of Object.entries(causes)) {
    const error = await Replayer.replayWorkflow(history(kind), { workflowsPath: thrown }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof Error, `${kind}: rejects with an Error (${String(error)})`);
    assert.equal((error as Error & { code?: string }).code, "WFS_NON_ERROR_THROWN", kind);
    assert.match(error.message, KINDS[kind]!, kind);
    assert.ok(Object.hasOwn(error, "cause"), `${kind}: the cause is kept`);
    assert.ok(check(error.cause), `${kind}: the cause is the value thrown (${String(error.cause)})`);
  }
});

test("each failed attempt is one log line: the message once, the stack and the fields as attributes", async () => {
  const env = await WorkflowEnvironment.startLocal({ workflowTaskRetry: retry });
  const logger = capturingLogger();
  const worker = await Worker.create(env, { taskQueue: "clock", workflowsPath: broken, logger });
  const handle = await env.client.startWorkflow("stamp", { id: "stamp-log", taskQueue: "clock", args: ["order"] });
  await worker.runUntil(eventually(async () => ((await handle.describe()).taskFailure?.attempt ?? 0) >= 3));
  const { runId } = await handle.describe();
  await env.teardown();
  const error = "Cannot access 'globalThis.Date.now.__call__' from workflow code";
  // As DefaultLogger prints it: the message, then the attributes as JSON.
  const lines = logger.entries.map((e) => `[${e.level}] ${e.message} ${JSON.stringify(e.attributes)}`);
  const about = lines.filter((line) => line.includes(error));
  const failures = logger.entries.filter((e) => e.level === "ERROR" && e.attributes.workflowId === "stamp-log");
  assert.ok(failures.length >= 3, "every failed attempt is logged");
  assert.equal(about.length, failures.length, `one line per failed attempt, no warning beside it:\n${about.join("\n")}`);
  for (const [i, entry] of failures.entries()) {
    const line = `${entry.message} ${JSON.stringify(entry.attributes)}`;
    assert.equal(line.split(error).length - 1, 1, `the error's message is said once: ${line}`);
    assert.equal(entry.attributes.attempt, i + 1);
    assert.equal(entry.attributes.runId, runId);
    assert.equal(entry.attributes.workflowType, "stamp");
    assert.equal(entry.attributes.code, "WFS_RESTRICTED");
    assert.equal(entry.attributes.errorType, "RestrictedWorkflowAccessError");
    assert.match(String(entry.attributes.location), /date_now\/workflows\.ts:\d+:\d+$/);
    assert.match(String(entry.attributes.nextAttemptTime), /^\d{4}-\d\d-\d\dT/);
    const stack = entry.attributes.stack as string;
    assert.equal(typeof stack, "string");
    assert.match(stack, /^\s+at /, "the stack is its frames, without the message");
    assert.match(stack, /date_now\/workflows\.ts:\d+:\d+/);
    assert.ok(entry.message.startsWith(`Workflow task failed: workflow 'stamp-log' (type 'stamp', run '${runId}'), attempt ${i + 1}; `), entry.message);
    assert.match(entry.message, /date_now\/workflows\.ts:\d+:\d+/, "the text names the workflow file:line");
  }
});

test("a restricted access the workflow catches is still logged, once, as a warning with the message once", async () => {
  const env = await WorkflowEnvironment.startTimeSkipping();
  const logger = capturingLogger();
  const worker = await Worker.create(env, { taskQueue: "thrown", workflowsPath: thrown, logger });
  const value = await worker.runUntil(env.client.executeWorkflow("catchesClock", { id: "catches-1", taskQueue: "thrown" }));
  assert.equal(value, "caught RestrictedWorkflowAccessError");
  await env.teardown();
  const warnings = logger.entries.filter((e) => e.level === "WARN" && e.message.includes("globalThis.Date.now.__call__"));
  assert.equal(warnings.length, 1, logger.messages().join("\n"));
  assert.match(warnings[0]!.message, /^Sandbox: \[catchesClock\] Cannot access 'globalThis\.Date\.now\.__call__'/);
  assert.equal(warnings[0]!.attributes.message, undefined, "the message is not repeated in the attributes");
  assert.equal(warnings[0]!.attributes.rule, "globalThis.Date.now.__call__");
  assert.equal(warnings[0]!.attributes.kind, "restricted-access");
});

test.run();
