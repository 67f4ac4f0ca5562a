/// <reference lib="deno.ns" />
// deno test -A examples/deno/ (from the repository root). Deno's sanitizers are on (the default):
// a timer, an async op or a resource that the worker leaves behind after teardown fails the test.
import * as assert from "node:assert/strict";
import { Worker, WorkflowEnvironment } from "workflow-sandbox";
import { runCheckouts } from "./checkout.ts";

Deno.test("two checkouts complete, each run with its own module state", async () => {
  const lines = await runCheckouts([{ id: "A-1", cents: 1250 }, { id: "B-2", cents: 99 }]);
  assert.deepEqual(lines, [
    "A-1: 12.50 EUR, receipt A-1-1250, charge #1 of this run",
    "B-2: 0.99 EUR, receipt B-2-99, charge #1 of this run",
  ]);
});

Deno.test("teardown cancels the retry timer of a failing workflow task", async () => {
  // An invalid order throws a ZodError: the workflow task fails and its retry is scheduled on a
  // real-time timer, one minute away. Shutting the worker down (runUntil does) and tearing the
  // environment down must clear it, or the op sanitizer fails this test.
  const env = await WorkflowEnvironment.startLocal({ workflowTaskRetry: { initialInterval: 60_000 } });
  const worker = await Worker.create(env, {
    taskQueue: "checkout",
    workflowsPath: new URL("./workflows.ts", import.meta.url),
    activities: { charge: async () => "unused" },
    logger: { log() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const handle = await env.client.startWorkflow("checkout", { id: "checkout-bad", taskQueue: "checkout", args: [{ id: "C-3", cents: -5 }] });
  const failure = await worker.runUntil(async () => {
    for (;;) {
      const { taskFailure } = await handle.describe();
      if (taskFailure) return taskFailure;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  assert.equal(failure.type, "ZodError");
  assert.match(failure.location ?? "", /examples\/deno\/workflows\.ts:\d+:\d+$/);
  await env.teardown();
});
