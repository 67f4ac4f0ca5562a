// node --disable-warning=ExperimentalWarning --import workflow-sandbox/register worker.ts (from this
// folder), or deno run -A worker.ts.
// Two worker "deployments" over one durable history store: the first runs the broken workflow,
// the second the fixed one, and the same workflow completes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { DefaultLogger, SqliteHistoryStore, Worker, WorkflowEnvironment, type LogEntry } from "workflow-sandbox";

const directory = mkdtempSync(join(tmpdir(), "wfs-violation-"));
const path = join(directory, "histories.db"); // the durable store: one SQLite database
const activities = { total: async (customer: string) => customer.length * 10 };
const retry = { initialInterval: 50, maximumInterval: 200 }; // retry failed tasks quickly, for the demo
// Worker log lines on stdout, with paths relative to this folder.
const show = (entry: LogEntry) => console.log(`   [${entry.level}] ${entry.message.replaceAll(`${process.cwd()}/`, "")}`);

try {
  console.log("1. Deploy workflows.ts, which calls Date.now(), and start invoice-42.");
  const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path }), workflowTaskRetry: retry });
  const worker = await Worker.create(env, {
    taskQueue: "billing",
    workflowsPath: new URL("./workflows.ts", import.meta.url),
    activities,
    logger: new DefaultLogger("ERROR", (entry) => entry.attributes.attempt === 1 && show(entry)), // first attempt only
  });
  const handle = await env.client.startWorkflow("invoice", { id: "invoice-42", taskQueue: "billing", args: ["Ada"] });
  const failure = await worker.runUntil(async () => {
    for (;;) {
      const { taskFailure } = await handle.describe();
      if (taskFailure && taskFailure.attempt >= 2) return taskFailure;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  const described = await handle.describe();
  console.log(`   describe(): ${described.status.name}, task attempt ${failure.attempt} failed with ${failure.type} at ${relative(process.cwd(), failure.location ?? "?")}`);
  console.log(`   history: ${(await handle.fetchHistory()).events.map((event) => event.type).join(", ")}`);
  await env.teardown();

  console.log("\n2. Deploy workflows_fixed.ts (workflow.now()) on the same history store.");
  const env2 = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path }), workflowTaskRetry: retry });
  const worker2 = await Worker.create(env2, {
    taskQueue: "billing",
    workflowsPath: new URL("./workflows_fixed.ts", import.meta.url),
    activities,
  });
  const same = env2.client.getHandle("invoice-42");
  console.log(`   result: ${await worker2.runUntil(same.result())}`);
  console.log(`   describe(): ${(await same.describe()).status.name}`);
  console.log(`   history: ${(await same.fetchHistory()).events.map((event) => event.type).join(", ")}`);
  await env2.teardown();
} finally {
  rmSync(directory, { recursive: true, force: true });
}
