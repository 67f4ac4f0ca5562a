// A tiny worker for the process-time figure of bench/core_bench.ts: start, discover the bench
// workflow, prepare it (with a warm transform cache) and run it once, then exit.
import { DEFAULT_PASSTHROUGH, discoverWorkflows, SandboxedWorkflowRunner } from "workflow-sandbox";
import { benchInput } from "./_bench_input.ts";

const [definition] = await discoverWorkflows(new URL("./workflow/workflow.ts", import.meta.url).href);
const runner = new SandboxedWorkflowRunner({
  restrictions: { passthroughModules: [...DEFAULT_PASSTHROUGH, "zod"], passthroughAllModules: false },
});
await runner.prepare(definition);
const instance = await runner.createInstance({ definition });
const { results } = await instance.activate([(workflow) => (workflow as (input: unknown) => Promise<string>)(benchInput())]);
const report = await results[0];
instance.dispose();
console.log(`ran ${definition.name}: ${report.length} characters`);
