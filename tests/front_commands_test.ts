// README's four front commands (Quick start), read from README itself so that they cannot drift:
// `npm start`, `npm test`, `deno task start`, `deno task test`.
//
// - `npm start` runs literally, in a copy of the working tree (sources copied, node_modules linked):
//   its first step rebuilds dist/, and doing that in the tree under test would pull dist/ away from
//   the suites that run on the other runtimes at the same time.
// - `deno task start` runs literally from the repository root, with the matrix's deno on PATH.
// - `deno task test` runs literally with one test file appended (the whole suite on Deno is what
//   the test command already runs; the check here is that the task works as README says).
// - `npm test` is the command that runs this file: it cannot run itself. CI runs it (`.ci/run` ends
//   with `exec npm test`), so the check is that .ci/run's command is README's test command, and that
//   the suite's Deno argv is the one `deno task test` runs.
//
// Registered once per test command: on the first Node runtime of the matrix that is installed, or on
// the machine's node when it runs outside the matrix (`--quick`). Not on Deno: npm is Node's tool.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { commandFor, listRuntimes } from "../scripts/runtimes.mjs";
import { isDeno } from "../loader/runtime.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const runtimes = listRuntimes();
const real = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};
const self = real(process.execPath);
const firstNode = runtimes.find((runtime) => runtime.kind === "node");
const inMatrix = runtimes.some((runtime) => real(runtime.bin) === self);
const registered = !isDeno && (!inMatrix || (firstNode !== undefined && real(firstNode.bin) === self));
const deno = runtimes.find((runtime) => runtime.kind === "deno");

/** The commands of README's "Quick start" code blocks, `npm install && ` steps split off. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf("## Quick start");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const commands: string[] = [];
  for (const [, block] of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block.split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command) commands.push(...command.split("&&").map((part) => part.trim()));
    }
  }
  return commands.filter((command) => command !== "npm install");
}

const commands = readmeCommands();
const examplesOutput = (out: string) => {
  // What examples/main prints (tests/examples_test.ts checks it in full on every runtime).
  assert.match(out, /order-Ada: charged Ada 20\.00 EUR, invoice #1, approved by the manager \(stage: done\)/);
  assert.match(out, /The sandbox caught it \(RestrictedWorkflowAccessError, at examples\/main\/workflows\.ts:\d+:\d+\)/);
};
const env = (extraPath?: string) => ({
  ...process.env,
  NO_COLOR: "1",
  PATH: extraPath ? `${extraPath}${delimiter}${process.env.PATH ?? ""}` : process.env.PATH,
});
const shell = (command: string, cwd: string, extraPath?: string) =>
  spawnSync(command, { cwd, shell: true, encoding: "utf8", timeout: 300_000, env: env(extraPath) });

test("README's Quick start names the four front commands", () => {
  assert.deepEqual(commands, ["npm start", "npm test", "deno task start", "deno task test"]);
});

if (registered) {
  test("`npm start` runs the examples worker (in a copy of the tree: it rebuilds dist/)", () => {
    const copy = mkdtempSync(join(tmpdir(), "workflow-sandbox-npm-start-"));
    try {
      const skip = new Set([".git", ".runtimes", "node_modules", "dist", "coverage", ".wfs-cache"]);
      cpSync(root, copy, {
        recursive: true,
        filter: (source) => {
          const path = relative(root, source);
          return path === "" || !skip.has(path.split(/[\\/]/)[0]);
        },
      });
      symlinkSync(join(root, "node_modules"), join(copy, "node_modules"), "dir");
      const result = shell("npm start", copy, dirname(process.execPath));
      assert.equal(result.status, 0, `npm start failed:\n${result.stdout}\n${result.stderr}`);
      assert.equal(result.stderr.trim(), "");
      examplesOutput(result.stdout);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  test("`npm test` is what CI runs, and the suite's Deno argv is `deno task test`'s", () => {
    const ci = readFileSync(join(root, ".ci", "run"), "utf8");
    const exec = ci.split("\n").filter((line) => /^\s*exec\s/.test(line));
    assert.deepEqual(exec.map((line) => line.trim()), ["exec npm test"], ".ci/run ends by running README's test command");
    const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts;
    assert.equal(scripts.test, "node scripts/test.mjs");
    const tasks = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).tasks;
    const [, ...argv] = commandFor({ kind: "deno", bin: "deno" }, "scripts/run_tests.mjs", []);
    assert.equal(tasks.test, ["deno", ...argv].join(" "), "scripts/test.mjs starts Deno's suite exactly as `deno task test` does");
  });

  /** Runs the test command on one fixture, which must fail it; returns the recap that ends its output. */
  const failingRun = (fixture: string) => {
    const argv = ["scripts/test.mjs", "--quick", join("tests", "fixtures", "test_command", fixture)];
    const result = spawnSync(process.execPath, argv, {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...env(), WFS_SKIP_BUILD: "1" },
    });
    assert.equal(result.status, 1, `${fixture} must fail the test command:\n${result.stdout}\n${result.stderr}`);
    const out = result.stdout.trimEnd().split("\n");
    const at = out.indexOf("failures (1), repeated from above:");
    assert.ok(at !== -1, `no recap of the failure in:\n${result.stdout}`);
    return { last: out.at(-1), recap: out.slice(at + 1) };
  };

  test("the test command repeats each failure before its table, and its last line counts it", () => {
    const { last, recap } = failingRun("one_failure_test.ts");
    assert.equal(last, "1 passed, 1 failed");
    assert.match(recap[0], /^host ! tests\/fixtures\/test_command\/one_failure_test\.ts: FAIL\s+"fails on purpose"$/);
    assert.ok(recap.some((line) => line.includes("the fixture's deliberate failure")), recap.join("\n"));
    assert.ok(recap.some((line) => line.includes("one_failure_test.ts:9:")), "the recap keeps the stack's file:line");
  });

  test("the test command counts a runtime that crashed as a failure and repeats its last lines", () => {
    const { last, recap } = failingRun("crashes_test.ts");
    assert.equal(last, "0 passed, 1 failed");
    assert.equal(recap[0], "host ! crashed (exit code 3), printed no totals; its last lines:");
    assert.ok(recap.includes("host ! the fixture's last words before exiting"), recap.join("\n"));
  });

  if (deno) {
    test("`deno task start` runs the examples worker", () => {
      const result = shell("deno task start", root, dirname(deno.bin));
      assert.equal(result.status, 0, `deno task start failed:\n${result.stdout}\n${result.stderr}`);
      // Deno prints the task it runs on stderr; nothing else may appear there.
      const stderr = result.stderr.split("\n").filter((line) => line.trim() && !/^Task start /.test(line));
      assert.deepEqual(stderr, []);
      examplesOutput(result.stdout);
    });

    test("`deno task test` runs the suite's runner on Deno", () => {
      const result = shell("deno task test tests/rule_path_test.ts", root, dirname(deno.bin));
      assert.equal(result.status, 0, `deno task test failed:\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /Total:\s+(\d+)[\s\S]*Passed:\s+\1\b/);
      assert.match(result.stdout, /Passed:\s+[1-9]/);
    });
  } else {
    test.skip("`deno task start` and `deno task test`: the matrix's deno is not installed (npm run runtimes)", () => {});
  }
}

test.run();
