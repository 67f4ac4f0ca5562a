// Starts a worker on a time-skipping environment, runs two checkouts, and tears everything down.
// Shared by worker.ts (deno run) and worker_test.ts (deno test).
import { Worker, WorkflowEnvironment } from "workflow-sandbox";

export async function runCheckouts(orders: ReadonlyArray<{ id: string; cents: number }>): Promise<string[]> {
  const env = await WorkflowEnvironment.startTimeSkipping();
  try {
    const worker = await Worker.create(env, {
      taskQueue: "checkout",
      workflowsPath: new URL("./workflows.ts", import.meta.url),
      activities: { charge: async (id: string, cents: number) => `receipt ${id}-${cents}` },
    });
    return await worker.runUntil(Promise.all(orders.map((order) =>
      env.client.executeWorkflow<string>("checkout", { id: `checkout-${order.id}`, taskQueue: "checkout", args: [order] })
    )));
  } finally {
    await env.teardown();
  }
}
