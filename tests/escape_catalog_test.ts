// The escape catalog (tests/escape_catalog.ts): every attack runs in a sandboxed run of
// fixtures/restrictions/run_code.ts, and its test asserts today's behaviour, so a fix flips it. Also
// checks that the generated documentation (docs/restrictions.md, docs/known-limits.md, README's
// "Known limits") matches the data it is generated from.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ESCAPE_CATALOG, type EscapeAttack } from "./escape_catalog.ts";
import {
  describeOutcome,
  FIXTURE,
  Harness,
  HARNESS_RESTRICTIONS,
  restrictedError,
  RUN_PROBE_LOCATION,
} from "./fixtures/restrictions/_harness.ts";

/** scripts/generate_docs.mjs, a plain script: imported by URL and typed here. */
const { generateDocs, README_END, README_START } = await import(
  new URL("../scripts/generate_docs.mjs", import.meta.url).href
) as {
  generateDocs(root: string): Promise<Map<string, string>>;
  README_START: string;
  README_END: string;
};

const ROOT = fileURLToPath(new URL("..", import.meta.url));

// host_clock.ts is passed through for the row "a passed-through module calling Date.now() internally".
let shared: Harness | undefined;
const harness = (): Harness => (shared ??= new Harness(HARNESS_RESTRICTIONS.withPassthroughModules(FIXTURE.hostClockUrl)));

const REPORTS = new Set(["restricted-access", "nondeterminism-warning"]);

async function assertToday(row: EscapeAttack): Promise<void> {
  const outcome = await harness().run(row.code);
  const reports = outcome.warnings.filter((w) => REPORTS.has(w.kind));
  switch (row.expected) {
    case "caught": {
      if (row.error !== undefined) {
        assert.ok(outcome.ok === false, `expected ${row.error}, but the attack ${describeOutcome(outcome)}`);
        assert.equal((outcome.error as Error)?.name, row.error, describeOutcome(outcome));
        return;
      }
      const error = restrictedError(outcome);
      assert.ok(error, `expected RestrictedWorkflowAccessError, but the attack ${describeOutcome(outcome)}`);
      assert.equal(error.qualifiedName, row.qualifiedName);
      assert.ok(error.location?.startsWith(RUN_PROBE_LOCATION), `location '${error.location}'`);
      assert.equal(reports.length, 1, describeOutcome(outcome));
      assert.equal(reports[0].kind, "restricted-access");
      return;
    }
    case "warns": {
      assert.ok(outcome.ok && outcome.value === true, `expected a warning and true, but the attack ${describeOutcome(outcome)}`);
      assert.deepEqual(reports.map((w) => [w.kind, w.rule]), row.warnings!.map((rule) => ["nondeterminism-warning", rule]));
      return;
    }
    default: {
      // "allowed", "escapes", "differs": the code ran to its end, had its effect, and nothing noticed.
      assert.ok(outcome.ok && outcome.value === true, `expected the attack to return true, but it ${describeOutcome(outcome)}`);
      assert.deepEqual(reports, [], describeOutcome(outcome));
    }
  }
}

for (const row of ESCAPE_CATALOG) {
  test(`${row.name} → ${row.expected}`, () => assertToday(row));
}

test("every row is well formed and named uniquely", () => {
  const names = new Set<string>();
  for (const row of ESCAPE_CATALOG) {
    assert.ok(!names.has(row.name), `two rows are named '${row.name}'`);
    names.add(row.name);
    assert.ok(row.explanation.length > 20 && row.explanation.endsWith("."), `${row.name}: explain in a sentence`);
    assert.equal(row.qualifiedName !== undefined || row.error !== undefined, row.expected === "caught", row.name);
    assert.equal(row.warnings !== undefined, row.expected === "warns", row.name);
  }
});

test("the catalog covers the attacks the issue names", () => {
  const names = ESCAPE_CATALOG.map((row) => row.name);
  for (const attack of [
    "globalThis.Date.now()",
    `Reflect.get(globalThis, "Date").now()`,
    "(new Date(0)).constructor.now()",
    `(0, eval)("Date.now()")`,
    `Function("return Date.now()")()`,
    `({}).constructor.constructor("return Date.now()")()`,
    `import("node:" + "fs") then a read`,
    "createRequire from node:module",
    `process.binding("fs")`,
    "process.env read",
    "a passed-through module calling Date.now() internally",
    "Object.getPrototypeOf(globalThis) (globalThis.__proto__)",
    "sloppy this in a CommonJS function: (function () { return this })()",
    "setTimeout",
    "queueMicrotask",
    "WeakRef",
    "SharedArrayBuffer + Atomics.wait",
    "new Intl.DateTimeFormat().resolvedOptions().timeZone",
    "structuredClone",
    "Error.prepareStackTrace = ... (stack frames of the host)",
  ]) {
    assert.ok(names.includes(attack), `the catalog has no row '${attack}'`);
  }
});

test("the generated docs and README's Known limits are up to date (run scripts/generate_docs.mjs)", async () => {
  const generated = await generateDocs(ROOT);
  for (const [path, content] of generated) {
    const current = readFileSync(`${ROOT}/${path}`, "utf8");
    if (path === "README.md") {
      // Only the block between the markers is generated; compare it alone for a readable diff.
      const block = (text: string) => text.slice(text.indexOf(README_START), text.indexOf(README_END) + README_END.length);
      assert.equal(block(current), block(content), "README.md: run scripts/generate_docs.mjs");
    }
    assert.equal(current, content, `${path} is out of date: run scripts/generate_docs.mjs`);
  }
});

test.run();
