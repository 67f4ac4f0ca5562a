// The client process of bench/worker_bench.ts's latency figure: opens the SqliteHistoryStore
// database at argv[2] and starts `count` (argv[3]) one-activity workflows, one every `gapMs`
// (argv[4]) so the worker in the other process is idle before each, then exits. The bench reads
// the delay from each start to its first workflow task from the histories.
import process from "node:process";
import { SqliteHistoryStore, WorkflowEnvironment } from "../mod.ts";

const [path, count, gapMs] = process.argv.slice(2);
const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open({ path: path!, warn: () => {} }) });
for (let i = 0; i < Number(count); i++) {
  await env.client.startWorkflow("oneActivity", { id: `latency-${i}`, taskQueue: "bench", args: [i] });
  await new Promise((resolve) => setTimeout(resolve, Number(gapMs)));
}
await env.teardown();
