// Runs test files in this one process with uvu, as uvu's own CLI does (uvu/run/index.mjs):
// defer uvu's auto-run, give each file its own queue slot, import the files in order, then exec().
//
//   node --conditions=workflow-sandbox-source --import ./dist/register.js scripts/run_tests.mjs
//   deno run -A scripts/run_tests.mjs
//   ... scripts/run_tests.mjs tests/matcher_test.ts      only these files
//   ... scripts/run_tests.mjs --bail                      stop at the first failing suite
//
// Without file arguments it runs every tests/**/*_test.ts, sorted by path; `fixtures` and
// `node_modules` folders are not searched (fixture trees are run by tests, not by the runner).
// The files of RUN_LAST run after all the others, because they change this process for good.
// uvu prints "Total:", "Passed:", "Skipped:" at the end; the exit code is 1 when a test failed,
// a file failed to load, or the process is kept alive after the last test.

import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TESTS = join(ROOT, "tests");
const SKIP_DIRS = new Set(["fixtures", "node_modules"]);
// A test must not keep the process alive: an open server, interval or child would hang CI.
const EXIT_GRACE_MS = 5000;
// Test files that change the host process for the files after them, with the reason. They run
// last (in this order), so every other file sees a host as it starts.
const RUN_LAST = new Map([
  [
    "tests/compat_test.ts",
    "discovers its corpus' workflows by importing them in this process, as the worker does, so " +
      "reflect-metadata's polyfill writes its functions to the host's Reflect; tests of the per-run " +
      "namespace copies compare against the host's pristine Reflect",
  ],
]);

const argv = process.argv.slice(2);
const bail = argv.includes("--bail");
const unknown = argv.filter((arg) => arg.startsWith("-") && arg !== "--bail");
if (unknown.length > 0) {
  console.error(`run_tests: unknown option ${unknown.map((a) => `"${a}"`).join(", ")}: the only option is --bail`);
  process.exit(2);
}
const files = argv.filter((arg) => !arg.startsWith("-")).map((arg) => resolve(arg));
for (const file of files) {
  if (!existsSync(file)) {
    console.error(`run_tests: test file "${file}" does not exist: pass paths relative to the current folder`);
    process.exit(2);
  }
}
if (files.length === 0) files.push(...findTests(TESTS));
files.sort((a, b) => lastRank(a) - lastRank(b) || (a < b ? -1 : a > b ? 1 : 0));

globalThis.UVU_DEFER = 1; // read by uvu when it is first imported: suites queue instead of running
const uvu = await import("uvu");

for (const [index, file] of files.entries()) {
  const name = relative(ROOT, file).split(sep).join("/");
  globalThis.UVU_INDEX = index; // suite.run() pushes into UVU_QUEUE[UVU_INDEX]
  globalThis.UVU_QUEUE.push([name]);
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    // Count a file that cannot load as a failed test, so the totals say so and the other files
    // still run (uvu's CLI would stop everything on the first such file).
    const loads = uvu.suite(name);
    loads("loads without error", () => {
      throw error;
    });
    loads.run();
  }
}

await uvu.exec(bail);

// uvu sets process.exitCode (1 on any failure) on Node and on Deno, which has `process` too.
const code = process.exitCode ? 1 : 0;
process.exitCode = code;
const timer = setTimeout(() => {
  console.error(
    `run_tests: the process was still running ${EXIT_GRACE_MS / 1000}s after the last test: ` +
      "a test left a server, timer, child process or worker open; close it in an after hook",
  );
  process.exit(1);
}, EXIT_GRACE_MS);
// Node timers are objects with unref(); Deno's global setTimeout returns a number.
if (typeof timer === "object") timer.unref();
else globalThis.Deno?.unrefTimer(timer);

/** Where a file goes in the order: 0 for every file but those of RUN_LAST, which follow in their order. */
function lastRank(file) {
  const name = relative(ROOT, file).split(sep).join("/");
  const index = [...RUN_LAST.keys()].indexOf(name);
  return index === -1 ? 0 : index + 1;
}

function findTests(dir) {
  const found = [];
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) found.push(...findTests(path));
    } else if (entry.name.endsWith("_test.ts")) {
      found.push(path);
    }
  }
  return found;
}
