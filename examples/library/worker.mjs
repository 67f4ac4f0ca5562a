// node worker.mjs (from this folder): no --import flag. The first call that needs the hooks
// (here Worker.create, which imports workflows.ts) registers them. This file and its static
// imports load before that, so they are JavaScript; everything the worker loads later can be
// TypeScript.
import { Worker, WorkflowEnvironment } from "workflow-sandbox";

const env = await WorkflowEnvironment.startLocal();
const worker = await Worker.create(env, {
  taskQueue: "greetings",
  workflowsPath: new URL("./workflows.ts", import.meta.url),
  activities: { compose: async (name) => `Hello, ${name}!` },
});
console.log("hooks: registered by the library on first use, no flag");
await worker.runUntil(async () => {
  for (const name of ["Ada", "Grace"]) {
    console.log(await env.client.executeWorkflow("greet", { id: `greet-${name}`, taskQueue: "greetings", args: [name] }));
  }
});
await env.teardown();
