// node --import workflow-sandbox/register main.ts, or deno run -A main.ts (from this folder).
// Runs one workflow with two runners: zod and schemas.ts sandboxed (the default: a fresh copy in
// every run) and passed through (the host's own instances). Prints what crosses the boundary by
// identity, and what each choice costs per run.
import { z } from "zod";
import { discoverWorkflows, SandboxedWorkflowRunner, SandboxRestrictions, type WorkflowDefinition } from "workflow-sandbox";
import { Order, Receipt } from "./schemas.ts";

type Outcome = { z: unknown; schema: unknown; error: unknown; receipt: unknown };
const RUNS = 200;

const [definition] = await discoverWorkflows(new URL("./workflows.ts", import.meta.url));
const runners = {
  sandboxed: new SandboxedWorkflowRunner(),
  // A package by name (matched on its package.json, however it is imported), a file by URL.
  "passed through": new SandboxedWorkflowRunner({
    restrictions: SandboxRestrictions.default.withPassthroughModules("zod", new URL("./schemas.ts", import.meta.url).href),
  }),
};

/** One workflow run: a fresh instance (what the worker creates per run or replay), one activation. */
async function runOnce(runner: SandboxedWorkflowRunner, definition: WorkflowDefinition, input: unknown): Promise<Outcome> {
  const instance = await runner.createInstance({ definition });
  try {
    const { results } = await instance.activate([(wf) => (wf as (input: unknown) => Promise<Outcome>)(input)]);
    return await results[0]!;
  } finally {
    instance.dispose();
  }
}

const costs: Record<string, number> = {};
for (const [label, runner] of Object.entries(runners)) {
  await runner.prepare(definition!);
  const good = await runOnce(runner, definition!, { id: "o-1", lines: [{ sku: "tea", quantity: 2 }] });
  const bad = await runOnce(runner, definition!, { id: "", lines: [] });
  console.log(`zod and schemas.ts ${label}:`);
  console.log(`  run's Order schema === host's Order:    ${good.schema === Order}`);
  console.log(`  run's z === host's z:                    ${good.z === z}`);
  console.log(`  run's receipt instanceof host's Receipt: ${good.receipt instanceof Receipt}`);
  // zod 4 answers instanceof by brand (Symbol.hasInstance), so this holds for a sandboxed copy too.
  console.log(`  run's error instanceof host's ZodError:  ${bad.error instanceof z.ZodError}`);
  for (let i = 0; i < 20; i++) await runOnce(runner, definition!, { id: "warm", lines: [{ sku: "tea", quantity: 1 }] });
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) await runOnce(runner, definition!, { id: `o-${i}`, lines: [{ sku: "tea", quantity: 1 }] });
  costs[label] = ((performance.now() - started) * 1000) / RUNS;
  console.log(`  cost: ${costs[label]!.toFixed(0)} µs per run (${RUNS} runs)`);
}
console.log(`passing them through makes a run ${(costs.sandboxed! / costs["passed through"]!).toFixed(1)}x cheaper`);
