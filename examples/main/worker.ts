// The examples worker (`npm start`, `deno task start`): runs the example workflows in the sandbox
// on an embedded, time-skipping engine and says in plain words what happened.
import { relative } from "node:path";
import process from "node:process";
import { Worker, WorkflowEnvironment } from "workflow-sandbox";
import { activities } from "./activities.ts";

const env = await WorkflowEnvironment.startTimeSkipping();
const worker = await Worker.create(env, {
  taskQueue: "examples",
  workflowsPath: new URL("./workflows.ts", import.meta.url),
  activities,
  logger: { log: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
});

await worker.runUntil(async () => {
  console.log("1. Two orders run side by side, each in its own sandbox.");
  const orders = await Promise.all(["Ada", "Grace"].map((customer, i) =>
    env.client.startWorkflow("order", { id: `order-${customer}`, taskQueue: "examples", args: [customer, 20 + i] })
  ));
  for (const order of orders) {
    await env.sleep(10);
    await order.signal("approve", "the manager");
  }
  for (const order of orders) {
    console.log(`   ${order.workflowId}: ${await order.result()} (stage: ${await order.query("stage")})`);
  }
  console.log("   Both got invoice #1: module state starts fresh in every run.");

  console.log("\n2. A workflow that calls Date.now().");
  const stamped = await env.client.startWorkflow("stampedOrder", { id: "stamped", taskQueue: "examples", args: ["Linus"] });
  let failure;
  for (let i = 0; i < 200 && !failure; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10)); // host time: let the worker try the task
    failure = (await stamped.describe()).taskFailure;
  }
  const status = (await stamped.describe()).status.name;
  const where = failure?.location ? relative(process.cwd(), failure.location) : "an unknown place";
  console.log(`   The sandbox caught it (${failure?.type}, at ${where}):`);
  console.log(`   ${failure?.message.replace(/^\w+: /, "").split(". ").slice(0, 2).join(".\n   ")}.`);
  console.log(`   The workflow is still ${status}: its task will be retried once the code is fixed.`);
  await stamped.terminate("example finished");

  console.log("\n3. The same workflow written with workflow.now() and workflow.uuid4().");
  console.log(`   ${await env.client.executeWorkflow("deterministicStamp", { id: "stamp", taskQueue: "examples", args: ["Linus"] })}`);
});
await env.teardown();
