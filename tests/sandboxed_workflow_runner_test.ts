// The sandboxed runner end to end: Python's isolation cases (python-sandbox.md §5.1 items 2-4,
// §5.3 item 1), identity passthrough from every source, validation failures.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { z as hostZ } from "zod";
import * as hostPath from "node:path";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  DeadlockError,
  DEFAULT_PASSTHROUGH,
  discoverWorkflows,
  SandboxedWorkflowRunner,
  SandboxRestrictions,
  type WorkflowDefinition,
  type WorkflowInstance,
  workflow,
  WorkflowValidationError,
} from "../mod.ts";
import { CAPTURED_KEYS } from "../sandbox/per_run_global.ts";
import { startDeadlockGuard } from "../sandbox/deadlock_guard.ts";
import { isDeno } from "../loader/runtime.ts";
import { runtimeNamespaceGlobals } from "./_namespace_globals.ts";
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
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
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
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
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
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
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
  // A run's modules are evaluated before its first activation's jobs (or when its export is read).
  await (await runner.createInstance({ definition })).activate([]);
  void (await runner.createInstance({ definition })).workflow;
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

test("built-ins pass through by default, bare and node: alike (unrestricted members by identity)", async () => {
  const definitions = await passthroughDefinitions();
  const result = await runOnce(new SandboxedWorkflowRunner({ onWarning: () => {} }), definitions.get("identities")!);
  assert.equal(result.joinBare, hostPath.join);
  assert.equal(result.joinNode, hostPath.join);
});

test("a package is sandboxed unless passed through; passed through, it is the host's by identity", async () => {
  const definitions = await passthroughDefinitions();
  const sandboxed = await runOnce(new SandboxedWorkflowRunner({ onWarning: () => {} }), definitions.get("identities")!);
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
  const result = await runOnce(new SandboxedWorkflowRunner({ onWarning: () => {} }), definitions.get("dynamicPassthrough")!);
  assert.equal(result.viaCallback, hostZ);
  assert.notEqual(result.plain, hostZ);
});

test('a "use passthrough: zod" directive passes a static import through', async () => {
  const [definition] = await discoverWorkflows(fixture("passthrough/directive.ts"));
  const result = await runOnce(new SandboxedWorkflowRunner({ onWarning: () => {} }), definition);
  assert.equal(result.z, hostZ);
});

function positionOf(url: URL, needle: string): string {
  const lines = readFileSync(url, "utf8").split("\n");
  const line = lines.findIndex((text) => text.includes(needle));
  return `${fileURLToPath(url)}:${line + 1}:${lines[line].indexOf(needle) + 1}`;
}

test("a module that throws at import time fails prepare, naming the workflow, the cause and file:line:col", async () => {
  const url = fixture("validation/throws_at_import.ts");
  const [definition] = await discoverWorkflows(url);
  const error = await new SandboxedWorkflowRunner({ onWarning: () => {} }).prepare(definition).then(() => undefined, (e) => e);
  assert.ok(error instanceof WorkflowValidationError);
  assert.equal(error.location, positionOf(url, 'new Error("top-level failure'));
  assert.match(error.message, /^Failed validating workflow "broken" at '.*throws_at_import\.ts:\d+:\d+': top-level failure in the sandbox\. Fix the cause \(error\.cause\); if a library does this at import time, pass it through \(SandboxRestrictions\.withPassthroughModules\) \(WFS_VALIDATION\)$/);
  assert.equal(error.code, "WFS_VALIDATION");
  assert.equal(error.workflowName, "broken");
  assert.equal((error.cause as Error).message, "top-level failure in the sandbox");
});

test("top-level await is refused at prepare time with file:line and the passthrough hint", async () => {
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
  const url = fixture("validation/tla/workflows.ts");
  const definition = { name: "tla", exportName: "tla", moduleUrl: url.href, sandboxed: true, options: { kind: "function" as const }, hostExport: undefined };
  const error = await runner.prepare(definition).then(() => undefined, (e) => e);
  assert.ok(error instanceof WorkflowValidationError);
  assert.match(error.message, /Top-level await at .*tla\/workflows\.ts:4:\d+ cannot run in the sandbox/);
  assert.match(error.message, /pass the module through/);
});

test("legacy experimentalDecorators is refused with the setting and the tsconfig named", async () => {
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
  const url = fixture("validation/legacy_decorators/workflows.ts");
  const definition = { name: "plain", exportName: "plain", moduleUrl: url.href, sandboxed: true, options: { kind: "function" as const }, hostExport: undefined };
  const error = await runner.prepare(definition).then(() => undefined, (e) => e);
  assert.ok(error instanceof Error);
  assert.match(error.message, /'experimentalDecorators' is set in '.*legacy_decorators\/tsconfig\.json'/);
});

async function runnerDefinitions() {
  return new Map((await discoverWorkflows(fixture("runner/ordering.ts"))).map((d) => [d.name, d]));
}

test("a dynamic import settles at the same point whether the module was compiled before or not", async () => {
  const definition = (await runnerDefinitions()).get("ordering")!;
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
  await runner.prepare(definition);
  const orders: unknown[] = [];
  for (let i = 0; i < 2; i++) {
    const instance = await runner.createInstance({ definition });
    const { results } = await instance.activate([(wf) => (wf as () => Promise<string[]>)()]);
    orders.push(await results[0]);
  }
  assert.deepEqual(orders[0], orders[1]);
  assert.deepEqual(orders[0], ["micro0", "micro1", "micro2", "micro3", "micro4", "import:lazy"]);
});

test("an error thrown at run time names the workflow .ts file at the exact line and column", async () => {
  const definition = (await runnerDefinitions()).get("throwsLater")!;
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  const { results } = await instance.activate([(wf) => (wf as () => Promise<never>)().catch((e: Error) => e)]);
  const error = await results[0] as Error;
  const frame = error.stack!.split("\n")[1];
  const expected = positionOf(fixture("runner/ordering.ts"), 'new Error("thrown at run time")');
  assert.ok(frame.includes(expected) || frame.includes(pathToFileURL(expected.replace(/:\d+:\d+$/, "")).href + expected.match(/:\d+:\d+$/)![0]), `${frame} names ${expected}`);
});

test("a job's promise that rejects during the activation is the caller's to handle, not an unhandled rejection", async () => {
  const definition = (await runnerDefinitions()).get("rejectsAtOnce")!;
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  const { results } = await instance.activate([(wf) => (wf as () => Promise<never>)()]);
  await assert.rejects(results[0] as Promise<never>, /rejected before the activation returned/);
});

test("the mutation report names a write to a shared built-in", async () => {
  const definition = (await runnerDefinitions()).get("writesBuiltIn")!;
  const warnings: unknown[] = [];
  const runner = new SandboxedWorkflowRunner({ mutationReport: true, onWarning: (w) => warnings.push(w) });
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  try {
    const { mutations } = await instance.activate([(wf) => (wf as () => Promise<string>)()]);
    assert.deepEqual(mutations, [{ module: "built-in", property: "Array.prototype.leakyHelper", change: "added" }]);
    assert.deepEqual(warnings, [{
      kind: "mutation",
      workflow: "writesBuiltIn",
      rule: "built-in Array.prototype.leakyHelper",
      message: "wrote to shared built-in object Array.prototype.leakyHelper (added)",
      module: "built-in",
      property: "Array.prototype.leakyHelper",
      change: "added",
    }]);
  } finally {
    delete (Array.prototype as unknown as Record<string, unknown>).leakyHelper;
  }
});

test("prepare reports no mutation for a workflow that writes nothing shared", async () => {
  const definition = (await runnerDefinitions()).get("ordering")!;
  const warnings: unknown[] = [];
  await new SandboxedWorkflowRunner({ onWarning: (w) => warnings.push(w) }).prepare(definition);
  assert.deepEqual(warnings, []);
});

test("an endless synchronous loop is interrupted with a DeadlockError naming the workflow, and the runner keeps working", async () => {
  const mechanism = await startDeadlockGuard();
  assert.equal(mechanism, isDeno ? "vm" : "watchdog");
  const definitions = await runnerDefinitions();
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
  await runner.prepare(definitions.get("spins")!);
  const spinning = await runner.createInstance({ definition: definitions.get("spins")! });
  const started = Date.now();
  const error = await spinning.activate([(wf) => void (wf as () => Promise<never>)()], { deadlockTimeoutMs: 100 })
    .then(() => undefined, (e) => e);
  assert.ok(Date.now() - started < 1100, `interrupted within the limit plus one second (${Date.now() - started} ms)`);
  assert.ok(DeadlockError.is(error) && error instanceof DeadlockError);
  assert.equal(error.phase, "synchronous");
  assert.equal(error.timeoutMs, 100);
  assert.equal(error.name, "DeadlockError");
  assert.equal(error.code, "WFS_DEADLOCK");
  assert.equal(error.workflow, "spins");
  // The watchdog (Node) reads the interrupted stack first; a vm timeout (Deno) cannot.
  const file = fileURLToPath(fixture("runner/ordering.ts"));
  const at = isDeno ? "" : ` at ${file}:26:3`;
  assert.equal(error.location, isDeno ? undefined : `${file}:26:3`);
  assert.equal(
    error.message,
    `Potential deadlock: workflow 'spins' ran synchronous code longer than 100 ms and was interrupted${at}. Look for a ` +
      "loop that never yields; move long computations to an activity, or raise deadlockTimeoutMs (debugMode turns " +
      "the guard off) (WFS_DEADLOCK)",
  );
  // The interrupted instance cannot run again: termination skipped its finally blocks.
  await assert.rejects(spinning.activate([() => 1]), /interrupted by the deadlock guard.*\(WFS_WORKER_STATE\)/);
  await runner.prepare(definitions.get("ordering")!);
  const fine = await runner.createInstance({ definition: definitions.get("ordering")! });
  const { results } = await fine.activate([(wf) => (wf as () => Promise<string[]>)()], { deadlockTimeoutMs: 1000 });
  assert.equal((await results[0]).length, 6);
});

test("the graph marks the modules of an import cycle, and only those, as cyclic", async () => {
  const [definition] = await discoverWorkflows(fixture("differential/cycles/main.ts").href);
  const runner = new SandboxedWorkflowRunner({ restrictions: { passthroughModules: DEFAULT_PASSTHROUGH, passthroughAllModules: false } });
  await runner.prepare(definition);
  const cyclic = Object.fromEntries(
    [...runner.graph.records.values()].map((record) => [hostPath.basename(record.path), record.cyclic]),
  );
  assert.deepEqual(cyclic, { "main.ts": false, "log.ts": false, "a.ts": true, "b.ts": true });
});

// Issue 12, "Shared namespace objects": `JSON.probe = 1` in one run reached every run and the host.
const NAMESPACE_PROBE = "__wfsNamespaceProbe";
const NAMESPACE_RESTRICTIONS = [
  ["the default restrictions", SandboxRestrictions.default],
  ["no restrictions", { passthroughModules: DEFAULT_PASSTHROUGH, passthroughAllModules: false }],
] as const;
// The host's API namespace refuses writes; every other namespace is the run's own copy.
const REFUSED_NAMESPACES = new Set(["Deno"]);

for (const [label, restrictions] of NAMESPACE_RESTRICTIONS) {
  test(`a run's writes to namespace globals reach neither another run nor the host (${label})`, async () => {
    const definitions = new Map((await discoverWorkflows(fixture("isolation/namespaces.ts"))).map((d) => [d.name, d]));
    const write = definitions.get("writeNamespaces")!;
    const read = definitions.get("readNamespaces")!;
    // Every namespace global of this runtime that a run can reach by name (those the sandbox
    // captured; symbol-keyed ones are in tests/per_run_global_test.ts).
    const names = [...runtimeNamespaceGlobals().keys()]
      .filter((key): key is string => typeof key === "string" && CAPTURED_KEYS.has(key));
    for (const name of ["JSON", "Math", "Reflect", "Atomics", "Intl", "console", "WebAssembly"]) {
      assert.ok(names.includes(name), `${name} is a namespace global`);
    }
    const runner = new SandboxedWorkflowRunner({ restrictions, onWarning: () => {} });
    await runner.prepare(write);
    await runner.prepare(read);
    const other = await runner.createInstance({ definition: read }); // created before the write
    const writer = await runner.createInstance({ definition: write });
    const [written] = (await writer.activate([(wf) => (wf as (n: string[], t: string) => Promise<unknown>)(names, "run A")])).results;
    const { outcome, sameAsGlobal } = await written as { outcome: Record<string, string>; sameAsGlobal: boolean };
    assert.equal(sameAsGlobal, true, "JSON, Math, ... are the run's globalThis.JSON, globalThis.Math, ...");
    for (const name of names) {
      // Restrictions may show a namespace through a view that refuses writes (Temporal under the
      // default rules); without them, only the refused ones refuse. Never a silent shared write.
      const allowed = REFUSED_NAMESPACES.has(name)
        ? ["WFS_RESTRICTED"]
        : label === "no restrictions"
        ? ["wrote"]
        : ["wrote", "WFS_RESTRICTED"];
      assert.ok(allowed.includes(outcome[name]), `${name}: ${outcome[name]}`);
    }
    for (const name of ["JSON", "Math", "Reflect", "Atomics", "Intl", "console"]) {
      assert.equal(outcome[name], "wrote", `${name} is writable in a run, as natively`);
    }
    const later = await runner.createInstance({ definition: read }); // created after the write
    for (const [who, instance] of [["a run created before the write", other], ["a run created after it", later]] as const) {
      const [result] = (await instance.activate([(wf) => (wf as (n: string[]) => Promise<Record<string, unknown>>)(names)])).results;
      const seen = await result;
      for (const name of names) {
        assert.ok(seen[name] === undefined || seen[name] === "WFS_RESTRICTED", `${who} sees ${name}.${NAMESPACE_PROBE} = ${String(seen[name])}`);
      }
    }
    const host = globalThis as unknown as Record<string, Record<string, unknown>>;
    for (const name of names) assert.equal(host[name][NAMESPACE_PROBE], undefined, `the host sees ${name}.${NAMESPACE_PROBE}`);
  });
}

// Issue 12, "B5. require() of an ES module": Node and Deno return its "module.exports" export.
test('require() of an ES module returns its "module.exports" export when it has one, as natively', async () => {
  const url = fixture("runner/require_esm/workflows.ts");
  // Not discovered: the host's own import of consumer.cjs fails on Node 22.15 once a load hook is
  // registered ("Cannot read properties of undefined (reading 'exports')", fixed in later 22.x).
  const definition = {
    name: "requireEsm",
    exportName: "requireEsm",
    moduleUrl: url.href,
    sandboxed: true,
    options: { kind: "function" as const },
    hostExport: undefined,
  };
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
  const sandboxed = await runOnce(runner, definition);
  const native = createRequire(url)("./consumer.cjs") as Record<string, unknown>;
  assert.deepEqual(sandboxed, native);
  assert.deepEqual(sandboxed, {
    withExport: { type: "function", name: "intrinsic", marker: "module.exports", result: "the module.exports value" },
    withoutExport: { type: "object", default: "the default export", other: "a named export", hasModuleExports: false },
    falsy: { type: "number", value: 0 },
    sameTwice: true,
  });
});

test.run();
