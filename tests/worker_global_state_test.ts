// Python's global-state test (python-sandbox.md §5.3 item 1) through the worker: ten concurrent
// workflows append to a module global and to another module's state from their constructor, run
// method and signals; each sees exactly its own entries, with the cache and with every task
// replayed in a fresh sandbox, and the host's copies stay untouched.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { Worker, WorkflowEnvironment } from "../mod.ts";
import { globalState as hostGlobal } from "./fixtures/worker/global_state/workflows.ts";
import { moduleState as hostModule } from "./fixtures/worker/global_state/stateful.ts";
import { capturingLogger, eventually } from "./fixtures/worker/harness.ts";

const workflowsPath = new URL("./fixtures/worker/global_state/workflows.ts", import.meta.url);

for (const maxCachedWorkflows of [1000, 0]) {
  test(`ten workflows with signals each see only their own global and module state (maxCachedWorkflows ${maxCachedWorkflows})`, async () => {
    const env = await WorkflowEnvironment.startLocal();
    const worker = await Worker.create(env, { taskQueue: "global", workflowsPath, maxCachedWorkflows, logger: capturingLogger() });
    const results = await worker.runUntil(async () => {
      const handles = await Promise.all(
        Array.from({ length: 10 }, (_, i) => env.client.startWorkflow("GlobalStateWorkflow", { id: `global-${i}`, taskQueue: "global" })),
      );
      // Every run has started before any is signalled; signals go out in reverse order.
      for (const handle of handles) {
        await eventually(async () => (await handle.query<{ global: string[] }>("state")).global.includes("started"));
      }
      for (let i = 9; i >= 0; i--) await handles[i]!.signal("append", `signal${i}`);
      for (const handle of handles) await handle.signal("append", "finish");
      return Promise.all(handles.map((handle) => handle.result()));
    });
    results.forEach((result, i) => {
      assert.deepEqual(result, {
        global: ["global orig", "inited", "started", `signal${i}`, "finish"],
        module: ["module orig", "inited", "started", `signal${i}`, "finish"],
      });
    });
    assert.deepEqual(hostGlobal, ["global orig"]);
    assert.deepEqual(hostModule, ["module orig"]);
    await env.teardown();
  });
}

test.run();
