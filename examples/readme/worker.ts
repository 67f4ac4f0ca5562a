import { Worker, WorkflowEnvironment } from "workflow-sandbox";

const env = await WorkflowEnvironment.startLocal();
const worker = await Worker.create(env, {
  taskQueue: "orders",
  workflowsPath: new URL("./workflows.ts", import.meta.url),
  activities: { charge: async (order: { id: string }) => `receipt-${order.id}` },
});
const result = await worker.runUntil(
  env.client.executeWorkflow("processOrder", { id: "order-1", taskQueue: "orders", args: [{ id: "o1", amount: 5 }] }),
);
console.log(result);
await env.teardown();
