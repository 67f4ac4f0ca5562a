// A TypeScript workflow file loaded by a plain JavaScript worker: by the time the worker imports
// it, the library has registered its hooks.
import { workflow } from "workflow-sandbox";

const greeted: string[] = []; // module state: empty at the start of every run

export const greet = workflow.defn(async function greet(name: string): Promise<string> {
  greeted.push(name);
  const greeting = await workflow.executeActivity<string>("compose", [name], { startToCloseTimeout: "10s" });
  return `${greeting} (names greeted in this run: ${greeted.join(", ")})`;
});
