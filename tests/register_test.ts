// The three front doors, each in a child process of the runtime running this suite, plus the
// registration's own contract (idempotent, one copy of the package per process).
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureRegistered, register } from "../loader/register.ts";
import { isDeno } from "../loader/runtime.ts";

const folder = fileURLToPath(new URL("./fixtures/front_doors/", import.meta.url));
const expected = JSON.stringify([
  "Hello, Ada! (run-local count 1, in sandbox: true)",
  "Hello, Grace! (run-local count 1, in sandbox: true)",
]);

function run(args: string[]) {
  const result = spawnSync(process.execPath, args, { cwd: folder, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

if (isDeno) {
  test("deno run -A main.ts", () => {
    const result = run(["run", "-A", "main.ts"]);
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, expected);
    assert.equal(result.status, 0);
  });
} else {
  test("node --import workflow-sandbox/register main.ts", () => {
    const result = run(["--import", "workflow-sandbox/register", "main.ts"]);
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, expected);
    assert.equal(result.status, 0);
  });

  test("a plain library import with no flag registers on first use", () => {
    const result = run(["library.mjs"]);
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, expected);
    assert.equal(result.status, 0);
  });

  test("the flag and a library import together register once", () => {
    const result = run(["--import", "workflow-sandbox/register", "library.mjs"]);
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, expected);
  });
}

test("opt-in bundler resolution: extensionless and .js-to-.ts imports, for discovery and in the sandbox", () => {
  const args = isDeno ? ["run", "-A", "main.ts"] : ["--import", "workflow-sandbox/register", "main.ts"];
  const cwd = fileURLToPath(new URL("./fixtures/bundler/", import.meta.url));
  const withFlag = spawnSync(process.execPath, args, {
    cwd,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, WORKFLOW_SANDBOX_RESOLUTION: "bundler" },
  });
  assert.equal(withFlag.stderr.trim(), "");
  assert.equal(withFlag.stdout.trim(), JSON.stringify(["count 1", "count 1"]));
  const without = spawnSync(process.execPath, args, { cwd, encoding: "utf8", timeout: 60_000 });
  assert.notEqual(without.status, 0, "native resolution (the default) does not add extensions");
});

test("register() is idempotent", () => {
  const first = ensureRegistered();
  const second = register();
  assert.equal(first, second);
});

test("a second copy of the package in the process is an error naming both", () => {
  const key = Symbol.for("workflow-sandbox.registration");
  const real = (globalThis as Record<symbol, unknown>)[key];
  Object.defineProperty(globalThis, key, { value: { root: "/elsewhere/workflow-sandbox", version: "0.0.1" }, configurable: true });
  try {
    assert.throws(() => register(), /Two copies of workflow-sandbox are loaded: '\/elsewhere\/workflow-sandbox' \(0\.0\.1\) and '.*' \(.*\).*WFS_DUPLICATE_PACKAGE/);
  } finally {
    Object.defineProperty(globalThis, key, { value: real, configurable: true });
  }
});

test.run();
