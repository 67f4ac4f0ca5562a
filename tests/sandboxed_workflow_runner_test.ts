// The sandboxed runner end to end: Python's isolation cases (python-sandbox.md §5.1 items 2-4,
// §5.3 item 1), identity passthrough from every source, validation failures.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { z as hostZ } from "zod";
import * as hostFs from "node:fs";
import {
  DEFAULT_PASSTHROUGH,
  discoverWorkflows,
  SandboxedWorkflowRunner,
  type WorkflowDefinition,
  type WorkflowInstance,
  workflow,
} from "../mod.ts";
import { moduleState as hostModuleState } from "./fixtures/isolation/stateful.ts";
import { counters as hostCounters } from "./fixtures/isolation/shared/counters.ts";

const fixture = (path: string) => new URL(`./fixtures/${path}`, import.meta.url);

type GlobalStateWorkflow = new () => {
  run(): void;
  signal(i: number): void;
  finish(): { global: string[]; module: string[]; runTimeInSandbox: boolean };
  initTimeInSandbox: boolean;
};

async function isolationDefinition(): Promise<WorkflowDefinition> {
  const [definition] = await discoverWorkflows(fixture("isolation/workflows.ts"));
  return definition;
}

test("ten interleaved runs each see only their own module-level state; the host's copy is untouched", async () => {
  const definition = await isolationDefinition();
  const hostEvaluations = hostCounters.hostEvaluations;
  const runner = new SandboxedWorkflowRunner();
  await runner.prepare(definition);
  const instances: WorkflowInstance[] = [];
  for (let i = 0; i < 10; i++) instances.push(await runner.createInstance({ definition }));
  const objects: InstanceType<GlobalStateWorkflow>[] = [];
  // Interleave: every run's activation n happens before any run's activation n + 1.
  await Promise.all(instances.map((instance, i) => instance.activate([(W) => (objects[i] = new (W as GlobalStateWorkflow)())])));
  await Promise.all(instances.map((instance, i) => instance.activate([() => objects[i].run()])));
  for (let i = 9; i >= 0; i--) await instances[i].activate([() => objects[i].signal(i)]);
  for (let i = 0; i < 10; i++) {
    const { results } = await instances[i].activate([() => objects[i].finish()]);
    assert.deepEqual(results[0], {
      global: ["global orig", "inited", "started", `signal${i}`, "finish"],
      module: ["module orig", "inited", "started", `signal${i}`, "finish"],
      runTimeInSandbox: true,
    });
    assert.equal(objects[i].initTimeInSandbox, true);
  }
  const host = await import("./fixtures/isolation/workflows.ts");
  assert.deepEqual(host.globalState, ["global orig"]);
  assert.deepEqual(hostModuleState, ["module orig"]);
  // The module body ran on the host once, at discovery, and never during the runs.
  assert.equal(hostCounters.hostEvaluations, hostEvaluations);
  assert.equal(hostCounters.hostEvaluations, 1);
});

test("inSandbox() is true at import time and run time inside, false on the host", async () => {
  const definition = await isolationDefinition();
  const runner = new SandboxedWorkflowRunner();
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  assert.equal((instance.workflow as { importTimeInSandbox: boolean }).importTimeInSandbox, true);
  assert.equal((definition.hostExport as { importTimeInSandbox: boolean }).importTimeInSandbox, false);
  const { results } = await instance.activate([() => workflow.unsafe.inSandbox()]);
  assert.equal(results[0], true);
  assert.equal(workflow.unsafe.inSandbox(), false);
});

test("a non-passthrough module is a different instance in every run", async () => {
  const definition = await isolationDefinition();
  const runner = new SandboxedWorkflowRunner();
  await runner.prepare(definition);
  const a = await runner.createInstance({ definition });
  const b = await runner.createInstance({ definition });
  assert.notEqual(a.workflow, b.workflow);
  assert.notEqual(a.workflow, definition.hostExport);
  assert.equal(typeof a.workflow, "function");
});

test("passthrough state is shared with the host (a configured file)", async () => {
  const definition = await isolationDefinition();
  const stateful = fixture("isolation/stateful.ts").href;
  const runner = new SandboxedWorkflowRunner({
    restrictions: { passthroughModules: [...DEFAULT_PASSTHROUGH, stateful], passthroughAllModules: false },
  });
  await runner.prepare(definition);
  const before = hostModuleState.length;
  const instance = await runner.createInstance({ definition });
  await instance.activate([(W) => new (W as GlobalStateWorkflow)()]);
  assert.equal(hostModuleState.length, before + 1);
  assert.equal(hostModuleState.at(-1), "inited");
  hostModuleState.splice(1);
});

test("a passed-through folder is shared: the sandbox's evaluations show on the host's counters", async () => {
  const definition = await isolationDefinition();
  const folder = new URL("./fixtures/isolation/shared/", import.meta.url).href;
  const runner = new SandboxedWorkflowRunner({
    restrictions: { passthroughModules: [...DEFAULT_PASSTHROUGH, folder], passthroughAllModules: false },
  });
  const before = hostCounters.sandboxEvaluations;
  await runner.prepare(definition); // one validation sandbox
  await runner.createInstance({ definition });
  await runner.createInstance({ definition });
  assert.equal(hostCounters.sandboxEvaluations, before + 3);
  assert.equal(hostCounters.hostEvaluations, 1);
});

test("passthroughAllModules gives the host's instance of every module", async () => {
  const definition = await isolationDefinition();
  const runner = new SandboxedWorkflowRunner({
    restrictions: { passthroughModules: DEFAULT_PASSTHROUGH, passthroughAllModules: true },
  });
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  assert.equal(instance.workflow, definition.hostExport);
});

async function passthroughDefinitions() {
  return new Map((await discoverWorkflows(fixture("passthrough/workflows.ts"))).map((d) => [d.name, d]));
}

async function runOnce(runner: SandboxedWorkflowRunner, definition: WorkflowDefinition) {
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  const { results } = await instance.activate([(wf) => (wf as () => Promise<Record<string, unknown>>)()]);
  return await results[0];
}

test("built-ins pass through by default, bare and node: alike", async () => {
  const definitions = await passthroughDefinitions();
  const result = await runOnce(new SandboxedWorkflowRunner(), definitions.get("identities")!);
  assert.equal(result.fsBare, hostFs.default);
  assert.equal((result.fsNode as typeof hostFs).readFileSync, hostFs.readFileSync);
});

test("a package is sandboxed unless passed through; passed through, it is the host's by identity", async () => {
  const definitions = await passthroughDefinitions();
  const sandboxed = await runOnce(new SandboxedWorkflowRunner(), definitions.get("identities")!);
  assert.notEqual(sandboxed.z, hostZ);
  const runner = new SandboxedWorkflowRunner({
    restrictions: { passthroughModules: [...DEFAULT_PASSTHROUGH, "zod"], passthroughAllModules: false },
  });
  const shared = await runOnce(runner, definitions.get("identities")!);
  assert.equal(shared.z, hostZ);
  assert.ok(shared.schema instanceof hostZ.ZodObject, "instanceof works across the boundary");
  assert.ok((shared.parsed as { when: Date }).when instanceof Date);
});

test("importsPassedThrough(() => import(...)) passes a dynamic import through", async () => {
  const definitions = await passthroughDefinitions();
  const result = await runOnce(new SandboxedWorkflowRunner(), definitions.get("dynamicPassthrough")!);
  assert.equal(result.viaCallback, hostZ);
  assert.notEqual(result.plain, hostZ);
});

test('a "use passthrough: zod" directive passes a static import through', async () => {
  const [definition] = await discoverWorkflows(fixture("passthrough/directive.ts"));
  const result = await runOnce(new SandboxedWorkflowRunner(), definition);
  assert.equal(result.z, hostZ);
});

test.run();
