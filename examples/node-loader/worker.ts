// node --import workflow-sandbox/register worker.ts (from this folder): the entry point is TypeScript.
import { ensureRegistered, Worker, WorkflowEnvironment } from "workflow-sandbox";
import { nextTicket } from "./tickets.ts";

// The flag registered the hooks (module.registerHooks, in-thread) before this file loaded.
console.log(`hooks: module.registerHooks (in-thread), ${ensureRegistered().bundlerResolution ? "bundler" : "native"} resolution`);

const env = await WorkflowEnvironment.startTimeSkipping();
const worker = await Worker.create(env, {
  taskQueue: "support",
  workflowsPath: new URL("./workflows.ts", import.meta.url),
});
await worker.runUntil(async () => {
  const tickets = await Promise.all([["Ada", true], ["Grace", false], ["Linus", true]].map(([customer, urgent]) =>
    env.client.startWorkflow("Support", { id: `support-${customer}`, taskQueue: "support", args: [customer, urgent] })
  ));
  for (const ticket of tickets) console.log(`${ticket.workflowId} -> ${await ticket.result()}`);
  console.log(`status query: ${await tickets[0]!.query("status")}`);
});
await env.teardown();
// The host's own instance of tickets.ts: the runs never touched it.
console.log(`host: ticket #${nextTicket()}`);
