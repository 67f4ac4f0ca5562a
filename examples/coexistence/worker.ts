// node --import tsx --import ./instrument.mjs --import workflow-sandbox/register worker.ts
// (from this folder): three loader hooks in one process.
import { Worker, WorkflowEnvironment } from "workflow-sandbox";
import { activities } from "@app/activities.ts"; // a tsconfig "paths" alias: tsx resolves it, not workflow-sandbox
import { hooked, mode } from "./instrument.mjs";

console.log(`tsx: resolved @app/activities.ts through tsconfig paths`);
console.log(`import-in-the-middle (${mode}): Hook fired for ${JSON.stringify(hooked)}`);

const env = await WorkflowEnvironment.startTimeSkipping();
const worker = await Worker.create(env, {
  taskQueue: "onboarding",
  workflowsPath: new URL("./workflows.ts", import.meta.url),
  activities,
});
await worker.runUntil(async () => {
  for (const user of ["ada", "grace", "linus"]) {
    const args = [{ user, email: `${user}@example.com` }];
    console.log(await env.client.executeWorkflow("onboard", { id: `onboard-${user}`, taskQueue: "onboarding", args }));
  }
});
await env.teardown();
console.log(`import-in-the-middle: Hook fired for ${JSON.stringify(hooked)} after three workflow runs`);
