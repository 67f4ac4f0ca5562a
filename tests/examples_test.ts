// The main job, exactly as README and examples/main/README.md run it, on this suite's runtime.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isDeno } from "../loader/runtime.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

test("the examples worker runs its three workflows and shows what the sandbox caught", () => {
  const args = isDeno ? ["run", "-A", "examples/main/worker.ts"] : ["--import", "workflow-sandbox/register", "examples/main/worker.ts"];
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 120_000 });
  assert.equal(result.stderr.trim(), "");
  assert.equal(result.status, 0);
  const out = result.stdout;
  assert.match(out, /order-Ada: charged Ada 20\.00 EUR, invoice #1, approved by the manager \(stage: done\)/);
  assert.match(out, /order-Grace: charged Grace 21\.00 EUR, invoice #1, approved by the manager \(stage: done\)/);
  assert.match(out, /The sandbox caught it \(RestrictedWorkflowAccessError, at examples\/main\/workflows\.ts:\d+:\d+\)/);
  assert.match(out, /Use workflow\.now\(\) instead/);
  assert.match(out, /The workflow is still RUNNING/);
  assert.match(out, /Linus at \d{4}-\d\d-\d\dT/);
});

test("README's 20-line example runs as written (examples/readme)", () => {
  const args = isDeno ? ["run", "-A", "examples/readme/worker.ts"] : ["--import", "workflow-sandbox/register", "examples/readme/worker.ts"];
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 120_000 });
  assert.equal(result.stderr.trim(), "");
  assert.equal(result.status, 0);
  assert.match(result.stdout, /receipt: '?"?receipt-o1/);
  assert.match(result.stdout, /ordersSeen: 1/);
});

test.run();
