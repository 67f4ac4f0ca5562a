// The runtime module (loader/runtime.ts): the support floor, and a scan that keeps every other
// file from inspecting the runtime itself.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  compareVersions,
  isDeno,
  meetsFloor,
  registerHooks,
  RUNTIME_FLOOR,
  runtimeName,
  unsupportedRuntime,
} from "../loader/runtime.ts";
import { NODE_FLOOR } from "../scripts/runtimes.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

test("the floor: Node.js 22.15.0 and Deno 2.9.0, and the matrix pins the Node floor itself", () => {
  assert.deepEqual([...RUNTIME_FLOOR.node], [22, 15, 0]);
  assert.deepEqual([...RUNTIME_FLOOR.deno], [2, 9, 0]);
  assert.equal(NODE_FLOOR, RUNTIME_FLOOR.node.join("."), "scripts/runtimes.mjs tests the floor itself");
  const engines = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node;
  assert.equal(engines, `>=${RUNTIME_FLOOR.node.slice(0, 2).join(".")}`, "package.json engines states the floor");
});

test("versions below the floor are refused, naming the version and the floor", () => {
  for (const version of ["20.20.2", "22.14.0", "18.0.0"]) {
    const error = unsupportedRuntime({ kind: "node", version, hasRegisterHooks: version.startsWith("22") }) as Error & { code: string; hint: string };
    assert.ok(error, `${version} is refused`);
    assert.equal(error.code, "WFS_UNSUPPORTED_RUNTIME");
    assert.ok(error.message.includes(`this is Node.js v${version}`), error.message);
    assert.ok(error.message.includes("Node.js 22.15.0 or later"), error.message);
    assert.match(error.hint, /Upgrade Node\.js to 22\.15 or later/);
  }
  const oldDeno = unsupportedRuntime({ kind: "deno", version: "2.8.3", hasRegisterHooks: true }) as Error;
  assert.match(oldDeno.message, /needs Deno 2\.9\.0 or later, and this is Deno 2\.8\.3/);
  for (const [kind, version] of [["node", "22.15.0"], ["node", "24.21.0"], ["node", "26.10.0"], ["deno", "2.9.0"], ["deno", "3.0.0"]] as const) {
    assert.equal(unsupportedRuntime({ kind, version, hasRegisterHooks: true }), undefined, `${kind} ${version} is supported`);
  }
  const noHooks = unsupportedRuntime({ kind: "node", version: "24.0.0", hasRegisterHooks: false }) as Error;
  assert.match(noHooks.message, /has no module\.registerHooks\(\)/);
});

test("compareVersions and meetsFloor read dotted versions with or without 'v'", () => {
  assert.ok(compareVersions("v22.15.0", [22, 15, 0]) === 0);
  assert.ok(compareVersions("22.9.9", [22, 15, 0]) < 0);
  assert.ok(compareVersions("23.0.0", [22, 15, 0]) > 0);
  assert.equal(meetsFloor("node", "22.15.1"), true);
  assert.equal(meetsFloor("deno", "2.10.0"), true);
});

test("this process runs on a supported runtime, with in-thread hooks", () => {
  assert.equal(unsupportedRuntime(), undefined);
  assert.equal(typeof registerHooks, "function");
  assert.match(runtimeName, isDeno ? /^Deno \d/ : /^Node\.js v\d/);
});

// --- the scan ---------------------------------------------------------------------------------

const RUNTIME_MODULE = "loader/runtime.ts";
// Ways of looking at the runtime: the Deno global, Node's version strings.
const INSPECTS = /["']Deno["']\s+in\b|\bglobalThis\s*(?:\)\s*)?(?:as\s+[^)]*\)\s*)?\??\.Deno\b|\).Deno\b|\bDeno\s*\.\s*(?:version|build|execPath)\b|\btypeof\s+Deno\b|\bprocess\s*\.\s*versions?\b/g;
// Not scanned, each for a reason:
// - scripts/: they run on the machine's own node before anything is built (a fresh machine may
//   have Node 20), so they cannot load the package's TypeScript; they state the floor through the
//   matrix (scripts/runtimes.mjs NODE_FLOOR), which the first test above compares with the module.
// - bin/workflow-sandbox.mjs: it chooses which copy of the package to load (the sources on Deno,
//   dist/ on Node), before any module of the package can be loaded.
const SKIP_DIRS = new Set(["node_modules", ".git", ".runtimes", ".wfs-cache", "dist", "scripts", "docs", "coverage"]);
const SKIP_FILES = new Set([RUNTIME_MODULE, "bin/workflow-sandbox.mjs", "tests/runtime_test.ts"]);

function scanned(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name));
      } else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) {
        found.push(relative(root, join(dir, entry.name)).split("\\").join("/"));
      }
    }
  };
  walk(root);
  return found.filter((file) => !SKIP_FILES.has(file));
}

test("the scan covers the package, its tests, benches and examples, and its pattern finds what it looks for", () => {
  const files = scanned();
  for (const expected of ["loader/register.ts", "sandbox/module_graph.ts", "cli/main.ts", "tests/register_test.ts", "bench/core_bench.ts", "mod.ts"]) {
    assert.ok(files.includes(expected), `${expected} is scanned`);
  }
  const samples = [
    `"Deno" in globalThis`,
    `globalThis.Deno?.version`,
    `(globalThis as { Deno?: unknown }).Deno`,
    `Deno.version.deno`,
    `process.versions.node`,
    `process.version`,
    `typeof Deno`,
  ];
  for (const sample of samples) assert.ok(new RegExp(INSPECTS.source).test(sample), `the pattern finds ${sample}`);
});

test("no file but loader/runtime.ts inspects the runtime: they ask it", () => {
  const offenders: string[] = [];
  for (const file of scanned()) {
    const lines = readFileSync(join(root, file), "utf8").split("\n");
    lines.forEach((line, index) => {
      const code = line.replace(/\/\/.*$/, "");
      if (new RegExp(INSPECTS.source).test(code)) offenders.push(`${file}:${index + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, [], `ask ${RUNTIME_MODULE} instead:\n${offenders.join("\n")}`);
});

test.run();
