// Differential tests: every folder under tests/fixtures/differential/ is a small workflow project
// whose `main.ts` exports one workflow. Its output must be the same natively (the host's own
// module instances, as `discoverWorkflows` imported them) and in the sandbox, and two sandboxed
// runs must give that same output (each run has fresh module instances and its own global).
//
// Order per fixture: discover (native import), prepare, two sandboxed runs (equal to each other),
// the check that they left the host global as it was, the native run (equal to the first
// sandboxed run), then a third sandboxed run (equal to the native run): globals the native run
// created on the host must neither change what a run sees nor be written by it. They are deleted
// afterwards, so fixtures stay independent.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { discoverWorkflows, SandboxedWorkflowRunner, type WorkflowDefinition } from "../mod.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/differential/", import.meta.url));

/** Per-fixture checks beyond "native equals sandboxed". */
interface FixtureChecks {
  /** Runs after the first two sandboxed runs, before the native run. */
  afterSandboxed?(): void;
  /** Runs with the (shared) output once native and sandboxed outputs were compared. */
  output?(output: unknown, folder: string): void;
}

const CHECKS: Record<string, FixtureChecks> = {
  implicit_globals: {
    afterSandboxed() {
      assert.equal(
        Object.hasOwn(globalThis, "leakedGlobalName"),
        false,
        "the sandboxed runs' implicit global assignment reached the host global",
      );
    },
  },
  global_assignment: {
    afterSandboxed() {
      for (const name of ["fixtureX", "fixtureY"]) {
        assert.equal(Object.hasOwn(globalThis, name), false, `the sandboxed runs created host global '${name}'`);
      }
    },
  },
  error_stack_names: {
    output(output, folder) {
      // The position of `new Error` in thrower.ts, computed from its text (1-based line and column).
      const lines = readFileSync(join(folder, "thrower.ts"), "utf8").split("\n");
      const line = lines.findIndex((text) => text.includes("throw new Error("));
      assert.ok(line >= 0, "thrower.ts has no `throw new Error(` line");
      const column = lines[line].indexOf("new Error(") + 1;
      assert.deepEqual(
        (output as { frame: unknown }).frame,
        { file: "differential/error_stack_names/thrower.ts", line: line + 1, column },
        "the first stack frame must name thrower.ts at the `new Error` position",
      );
    },
  },
};

/**
 * Output keys where the sandbox is known to differ from native, listed in README "Known limits".
 * The test asserts they still differ, so fixing a limit makes it fail and the entry must go.
 * - A sandboxed ES module namespace is an ordinary object in export order (not sorted, not tagged
 *   "Module"), and an ambiguous `export *` name resolves to the first source instead of being
 *   left out: esbuild's CommonJS form of `export *` copies names.
 */
const KNOWN_LIMITS: Record<string, readonly string[]> = {
  export_star: ["keys", "hasAmbiguous", "tag"],
};

/**
 * Where the native result comes from a bug of one runtime version, the sandbox gives what every
 * later version gives. Each row: the fixture, the runtime versions, the path of the value, the
 * value the other versions give, and the bug (docs/runtime-bugs.md).
 */
// Node 22.15's `require` without `cache` in an imported CommonJS file (commonjs_plain) is gone
// under the package's hooks: loader/hooks.ts runs such a file through the CommonJS loader there
// (docs/runtime-bugs.md). A new row goes here when a runtime bug shows in a native output again.
const RUNTIME_BUGS: ReadonlyArray<{ fixture: string; applies: boolean; path: readonly string[]; fixed: unknown; bug: string }> = [];

/** The native output with a runtime bug's value replaced by what later versions give. */
function withoutRuntimeBugs(name: string, native: unknown): unknown {
  let output = native;
  for (const row of RUNTIME_BUGS) {
    if (row.fixture !== name || !row.applies) continue;
    output = structuredClone(output);
    let holder = output as Record<string, unknown>;
    for (const key of row.path.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
    const last = row.path[row.path.length - 1]!;
    assert.notDeepEqual(holder[last], row.fixed, `the runtime bug of ${name} (${row.bug}) is gone on this version: narrow its row`);
    holder[last] = row.fixed;
  }
  return output;
}

/** Splits an output into the known-limit keys and the rest. */
function splitKnown(name: string, output: unknown): [unknown, Record<string, unknown>] {
  const known = KNOWN_LIMITS[name];
  if (!known || typeof output !== "object" || output === null) return [output, {}];
  const rest: Record<string, unknown> = { ...(output as Record<string, unknown>) };
  const limited: Record<string, unknown> = {};
  for (const key of known) {
    limited[key] = rest[key];
    delete rest[key];
  }
  return [rest, limited];
}

/**
 * `assert.deepEqual`, with a message that shows each differing top-level entry as JSON: uvu
 * prints no diff for Deno's assertion errors, and a per-key line reads well on every runtime.
 */
function assertSameOutput(
  actual: unknown,
  expected: unknown,
  what: string,
  [actualName, expectedName] = ["sandbox", "native"],
): void {
  try {
    assert.deepEqual(actual, expected);
  } catch {
    const show = (value: unknown) => {
      try {
        return JSON.stringify(value);
      } catch {
        return String(value);
      }
    };
    const lines: string[] = [];
    if (actual && expected && typeof actual === "object" && typeof expected === "object") {
      const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
      for (const key of keys) {
        const a: unknown = (actual as Record<string, unknown>)[key];
        const e: unknown = (expected as Record<string, unknown>)[key];
        try {
          assert.deepEqual(a, e);
        } catch {
          lines.push(`  ${key}: ${actualName} ${show(a)}, ${expectedName} ${show(e)}`);
        }
      }
    } else {
      lines.push(`  ${actualName} ${show(actual)}, ${expectedName} ${show(expected)}`);
    }
    assert.fail(`${what}:\n${lines.join("\n")}`);
  }
}

function fixtureNames(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function runSandboxed(runner: SandboxedWorkflowRunner, definition: WorkflowDefinition): Promise<unknown> {
  const instance = await runner.createInstance({ definition });
  try {
    const { results } = await instance.activate([(wf) => (wf as () => Promise<unknown>)()]);
    return await results[0];
  } finally {
    instance.dispose();
  }
}

/** The host global's own keys, with the value of each data property. */
function hostGlobalState(): Map<PropertyKey, { value: unknown } | "accessor"> {
  const state = new Map<PropertyKey, { value: unknown } | "accessor">();
  for (const key of Reflect.ownKeys(globalThis)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(globalThis, key)!;
    state.set(key, "value" in descriptor ? { value: descriptor.value } : "accessor");
  }
  return state;
}

/**
 * Asserts that no host global was added, removed or given another value since `before`. An
 * accessor may become a data property: the runtimes define some globals lazily.
 */
function assertHostGlobalUnchanged(before: Map<PropertyKey, { value: unknown } | "accessor">, when: string): void {
  const after = hostGlobalState();
  const show = (entry: { value: unknown } | "accessor") =>
    entry === "accessor" ? "an accessor" : typeof entry.value === "object" || typeof entry.value === "function"
      ? `a ${typeof entry.value}`
      : JSON.stringify(entry.value) ?? String(entry.value);
  const changes: string[] = [];
  for (const [key, entry] of after) {
    const previous = before.get(key);
    if (previous === undefined) changes.push(`added '${String(key)}' (${show(entry)})`);
    else if (previous !== "accessor" && (entry === "accessor" || !Object.is(entry.value, previous.value))) {
      changes.push(`changed '${String(key)}' from ${show(previous)} to ${show(entry)}`);
    }
  }
  for (const key of before.keys()) if (!after.has(key)) changes.push(`removed '${String(key)}'`);
  if (changes.length > 0) assert.fail(`${when} changed the host global: ${changes.join(", ")}`);
}

for (const name of fixtureNames()) {
  test(name, async () => {
    const folder = join(FIXTURES, name);
    const checks = CHECKS[name] ?? {};
    const definitions = await discoverWorkflows(pathToFileURL(join(folder, "main.ts")).href);
    assert.equal(definitions.length, 1, `${name}/main.ts must export exactly one workflow`);
    const [definition] = definitions;
    const initial = hostGlobalState();
    // Import notifications (a dynamic import after load) are expected here and tested elsewhere.
    const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
    await runner.prepare(definition);
    const first = await runSandboxed(runner, definition);
    const second = await runSandboxed(runner, definition);
    assertHostGlobalUnchanged(initial, "prepare and the sandboxed runs");
    assertSameOutput(second, first, "two sandboxed runs differ (state kept between runs?)", ["second run", "first run"]);
    checks.afterSandboxed?.();

    let native: unknown;
    try {
      native = withoutRuntimeBugs(name, await (definition.hostExport as () => Promise<unknown>)());
      const [firstComparable, firstLimited] = splitKnown(name, first);
      const [nativeComparable, nativeLimited] = splitKnown(name, native);
      assertSameOutput(firstComparable, nativeComparable, "first sandboxed run differs from the native run");
      for (const key of KNOWN_LIMITS[name] ?? []) {
        assert.notDeepEqual(firstLimited[key], nativeLimited[key], `known limit '${key}' of ${name} is fixed: remove it from KNOWN_LIMITS and README`);
      }
      const afterNative = hostGlobalState();
      const third = await runSandboxed(runner, definition);
      assertHostGlobalUnchanged(afterNative, "a sandboxed run after the native run");
      assertSameOutput(splitKnown(name, third)[0], nativeComparable, "a sandboxed run after the native run differs from it (host global state reached the run)");
    } finally {
      for (const key of Reflect.ownKeys(globalThis)) {
        if (!initial.has(key)) delete (globalThis as Record<PropertyKey, unknown>)[key];
      }
    }
    checks.output?.(native, folder);
  });
}

test.run();
