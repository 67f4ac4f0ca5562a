// The test command (`npm test`): build, install the runtime matrix, run the whole suite on every
// runtime, and end with one summary line, "N passed, N failed" (", N skipped" when any).
//
//   node scripts/test.mjs                         every runtime of the matrix
//   node scripts/test.mjs --runtime=node24 --runtime=deno
//   node scripts/test.mjs --quick                 this machine's node only (no install)
//   node scripts/test.mjs tests/matcher_test.ts   only these files (on each runtime)
//
// Options: --jobs=N runtimes at once (default 2: measured faster than 1 on the 2-core machines
// we run on), --timeout=SECONDS per runtime (default 1800: Deno's
// lane, the longest, took 600 to 1,200 s on a 2-core machine loaded by other work (load average 7 to 12),
// with the compat corpus and test262), --bail (passed to run_tests.mjs).
// Env: WFS_SKIP_BUILD=1 skips `node scripts/build.mjs` (dist/register.js must already exist).
// Before the runtimes run, tests/compat (the npm compatibility corpus) is installed with
// `npm ci --prefix tests/compat` when its node_modules is missing or older than its lockfile.
//
// Each runtime runs scripts/run_tests.mjs in its own process (the argv of
// scripts/runtimes.mjs commandFor()); its output is streamed with the runtime's name in front and
// uvu's totals are read from it. A run that crashed or printed no totals counts as one failure.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { commandFor, listRuntimes, MATRIX, meetsNodeFloor, NODE_FLOOR, REGISTER_ENTRY, ROOT } from "./runtimes.mjs";

const RUN_TESTS = join(ROOT, "scripts", "run_tests.mjs");
const BUILD = join(ROOT, "scripts", "build.mjs");
const INSTALL = join(ROOT, "scripts", "install_runtimes.mjs");

const options = parseArgs(process.argv.slice(2));

// Test processes live in their own process groups (see runOne): pass on Ctrl-C and termination.
const children = new Set();
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.on(signal, () => {
    for (const child of children) killGroup(child, signal);
    process.exit(code);
  });
}

// 1. Build: every Node test process loads dist/register.js before any TypeScript.
if (process.env.WFS_SKIP_BUILD === "1") {
  warn("WFS_SKIP_BUILD=1: not running scripts/build.mjs, the Node runs use the dist/ already there");
} else if (!existsSync(BUILD)) {
  fail(
    "scripts/build.mjs does not exist, so dist/register.js cannot be built: " +
      "add it, or set WFS_SKIP_BUILD=1 to test with the dist/ already there",
  );
} else {
  step("node scripts/build.mjs");
  const build = spawnSync(process.execPath, [BUILD], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) fail(`scripts/build.mjs failed (${exitText(build.status, build.signal)}): fix the build first`);
}

// 2. Runtimes.
let runtimes;
if (options.quick) {
  if (!meetsNodeFloor(process.version)) {
    fail(`--quick runs this machine's node, ${process.version}, which is below the supported floor ${NODE_FLOOR}: use --runtime=node24 (installed from the npm registry), or upgrade node`);
  }
  runtimes = [{ name: "host", kind: "node", bin: process.execPath, version: process.version }];
} else {
  step(`node scripts/install_runtimes.mjs ${options.runtimes.join(" ")}`.trimEnd());
  const install = spawnSync(process.execPath, [INSTALL, ...options.runtimes], { cwd: ROOT, stdio: "inherit" });
  if (install.status !== 0) fail(`installing the runtimes failed (${exitText(install.status, install.signal)}): see above`);
  const wanted = options.runtimes.length ? options.runtimes : MATRIX.map((entry) => entry.name);
  runtimes = listRuntimes().filter((runtime) => wanted.includes(runtime.name));
  const missing = wanted.filter((name) => !runtimes.some((runtime) => runtime.name === name));
  if (missing.length) fail(`runtimes ${missing.join(", ")} are not installed after install_runtimes.mjs: run \`npm run runtimes\``);
}
if (runtimes.some((runtime) => runtime.kind === "node") && !existsSync(REGISTER_ENTRY)) {
  fail(`${relative(ROOT, REGISTER_ENTRY)} does not exist, so Node cannot load TypeScript: run \`node scripts/build.mjs\``);
}

// 2b. The npm compatibility corpus's own packages (tests/compat_test.ts): installed from its lockfile
// when missing or older than it, then reused, so a run needs no network once installed.
const COMPAT = join(ROOT, "tests", "compat");
const compatInstalled = join(COMPAT, "node_modules", ".package-lock.json"); // npm writes it at every install
if (
  existsSync(join(COMPAT, "package-lock.json")) &&
  (options.files.length === 0 || options.files.some((file) => file.includes("compat"))) &&
  (!existsSync(compatInstalled) || statSync(compatInstalled).mtimeMs < statSync(join(COMPAT, "package-lock.json")).mtimeMs)
) {
  step("npm ci --prefix tests/compat");
  const npm = spawnSync("npm", ["ci", "--prefix", COMPAT, "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: ROOT, stdio: "inherit" });
  if (npm.status !== 0) fail(`installing tests/compat's packages failed (${exitText(npm.status, npm.signal)}): see above (it needs the npm registry once)`);
}

// 2c. The packages of deterministic mode's end-to-end test (tests/determinism_packages_test.ts), the
// same way, from tests/fixtures/determinism's own lockfile.
const DETERMINISM = join(ROOT, "tests", "fixtures", "determinism");
const determinismInstalled = join(DETERMINISM, "node_modules", ".package-lock.json");
if (
  (options.files.length === 0 || options.files.some((file) => file.includes("determinism"))) &&
  (!existsSync(determinismInstalled) || statSync(determinismInstalled).mtimeMs < statSync(join(DETERMINISM, "package-lock.json")).mtimeMs)
) {
  step("npm ci --prefix tests/fixtures/determinism");
  const npm = spawnSync("npm", ["ci", "--prefix", DETERMINISM, "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: ROOT, stdio: "inherit" });
  if (npm.status !== 0) fail(`installing tests/fixtures/determinism's packages failed (${exitText(npm.status, npm.signal)}): see above (it needs the npm registry once)`);
}

// 3. The suite on every runtime.
const width = Math.max(...runtimes.map((runtime) => runtime.name.length));
const results = new Array(runtimes.length);
// Deno's lane is the longest (its module loading makes the compat corpus about 3x slower:
// docs/compatibility.md), so it starts first and the Node lanes fill the other slot meanwhile;
// the report keeps the matrix order.
const order = [...runtimes.keys()].sort((a, b) => Number(runtimes[b].kind === "deno") - Number(runtimes[a].kind === "deno") || a - b);
let next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: Math.min(options.jobs, runtimes.length) }, async () => {
  while (next < order.length) {
    const index = order[next++];
    results[index] = await runOne(runtimes[index]);
  }
}));
const seconds = (performance.now() - started) / 1000;

// 4. Report: the failures again (interleaved runtimes and CI logs that keep only the end would
// hide them; a runtime that crashed or timed out has no FAIL block, so its last lines stand for
// one), a table per runtime, then the summary line, last.
const recaps = results.flatMap((result) => [
  ...failureBlocks(result.stdout).map((block) => ({ result, block })),
  ...(result.problem ? [{ result, block: [`${result.problem}; its last lines:`, ...lastLines(result.output, 20)] }] : []),
]);
if (recaps.length) {
  console.log(`\nfailures (${recaps.length}), repeated from above:`);
  for (const { result, block } of recaps) {
    console.log(block.map((line) => `${result.runtime.name.padEnd(width)} ! ${line}`).join("\n"));
  }
}
const rows = [["runtime", "version", "passed", "failed", "skipped", "time", "result"]];
for (const result of results) {
  rows.push([
    result.runtime.name,
    result.runtime.version,
    String(result.passed),
    String(result.failed),
    String(result.skipped),
    `${result.seconds.toFixed(1)}s`,
    result.problem ?? (result.failed ? "FAILED" : "ok"),
  ]);
}
console.log("");
printTable(rows);
const sum = (key) => results.reduce((total, result) => total + result[key], 0);
const passed = sum("passed");
const failed = sum("failed");
const skipped = sum("skipped");
console.log(`\n${runtimes.length} runtime${runtimes.length === 1 ? "" : "s"} in ${seconds.toFixed(1)}s`);
if (passed + failed === 0) console.log("test: no test ran: add tests/<name>_test.ts files, or check the file arguments");
process.exitCode = failed > 0 || passed + failed === 0 ? 1 : 0;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);

/** Runs run_tests.mjs on one runtime, streaming its output, and reads uvu's totals. */
function runOne(runtime) {
  const [bin, ...args] = commandFor(runtime, RUN_TESTS, [...options.files, ...(options.bail ? ["--bail"] : [])]);
  const shown = [bin, ...args].map((arg) => (arg.startsWith(ROOT) ? relative(ROOT, arg) || "." : arg)).join(" ");
  const prefix = `${runtime.name.padEnd(width)} | `;
  console.log(`${prefix}${runtime.version}: ${shown}`);

  const env = { ...process.env };
  // uvu colours only a TTY; keep colours when we are one (the totals are parsed without them).
  if (process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) env.FORCE_COLOR = "1";

  const begin = performance.now();
  return new Promise((resolvePromise) => {
    // Own process group, so a timeout also ends the fixtures the tests spawned.
    const child = spawn(bin, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    children.add(child);
    let stdout = "";
    let output = ""; // stdout and stderr as they came, for the recap of a crash
    const out = lines(prefix, process.stdout, (text) => ((stdout += text), (output += text)));
    const err = lines(prefix, process.stderr, (text) => (output += text));
    child.stdout.on("data", out.write);
    child.stderr.on("data", err.write);

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, options.timeout * 1000);

    let done = false;
    const finish = (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      children.delete(child);
      out.end();
      err.end();
      const result = { runtime, stdout, output, passed: 0, failed: 0, skipped: 0, seconds: (performance.now() - begin) / 1000 };
      const totals = parseTotals(stdout);
      if (totals) {
        result.passed = totals.passed;
        result.skipped = totals.skipped;
        // uvu's "Total:" counts the tests that were run, not the skipped ones (test.skip only
        // increments a counter), so failed = total - passed.
        result.failed = totals.total - totals.passed;
      }
      if (timedOut) result.problem = `timed out after ${options.timeout}s`;
      else if (!totals) result.problem = `crashed (${exitText(code, signal)}), printed no totals`;
      else if (code !== 0 && result.failed === 0) result.problem = `${exitText(code, signal)} after the totals`;
      if (result.problem) {
        result.failed = Math.max(result.failed, 1);
        process.stderr.write(`${prefix}test: ${runtime.name} ${result.problem}\n`);
      }
      resolvePromise(result);
    };
    child.on("error", (error) => {
      if (child.pid !== undefined) return; // only a failed spawn is reported here; "close" follows others
      process.stderr.write(`${prefix}test: could not start ${bin}: ${error.message}\n`);
      finish(null, null);
    });
    child.on("close", finish);
  });
}

// uvu's failure reports: after a file's name line and its progress dots, each failed test prints
// "   FAIL  <suite>  \"<test>\"", the message, the diff and the stack. Each block is returned with
// the file's name in front, cut at the next file, the totals or 30 lines.
function failureBlocks(text) {
  const maxLines = 30;
  const blocks = [];
  let file = "";
  let block;
  for (const line of plainText(text).split("\n")) {
    if (/^tests\/\S+\.ts$/.test(line) || /^\s*Total:\s+\d+\s*$/.test(line)) {
      file = line;
      block = undefined;
    } else if (/^\s*FAIL\s/.test(line)) {
      block = [`${file}: ${line.trim()}`];
      blocks.push(block);
    } else if (block && block.length < maxLines && line.trim() !== "") {
      block.push(line);
    }
  }
  return blocks;
}

function lastLines(text, count) {
  return plainText(text).split("\n").filter((line) => line.trim() !== "").slice(-count);
}

/** The text without colours: uvu colours its output when FORCE_COLOR is set (see runOne). */
function plainText(text) {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

// The last totals block uvu printed (exec() prints one, at the end).
function parseTotals(text) {
  const plain = plainText(text);
  const read = (label) => {
    const all = [...plain.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)\\s*$`, "gm"))];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const total = read("Total");
  const passed = read("Passed");
  const skipped = read("Skipped");
  if (total === undefined || passed === undefined || skipped === undefined) return undefined;
  return { total, passed, skipped };
}

// Writes whole lines with the prefix; uvu prints its progress dots without a newline, so partial
// lines wait for the rest (or the end of the stream).
function lines(prefix, stream, collect) {
  let pending = "";
  return {
    write(chunk) {
      const text = chunk.toString();
      collect(text);
      pending += text;
      const cut = pending.lastIndexOf("\n");
      if (cut === -1) return;
      stream.write(pending.slice(0, cut).split("\n").map((line) => prefix + line).join("\n") + "\n");
      pending = pending.slice(cut + 1);
    },
    end() {
      if (pending) stream.write(prefix + pending + "\n");
      pending = "";
    },
  };
}

function printTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const numeric = new Set([2, 3, 4, 5]);
  for (const row of rows) {
    console.log(row.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join("  ").trimEnd());
  }
}

function parseArgs(argv) {
  const options = { quick: false, runtimes: [], jobs: 2, timeout: 1800, bail: false, files: [] };
  const names = MATRIX.map((entry) => entry.name);
  for (const arg of argv) {
    const [key, value] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (key === "--quick") options.quick = true;
    else if (key === "--bail") options.bail = true;
    else if (key === "--runtime") {
      for (const name of (value ?? "").split(",")) {
        if (!names.includes(name)) fail(`unknown runtime "${name}" in "${arg}": use one of ${names.join(", ")}`, 2);
        if (!options.runtimes.includes(name)) options.runtimes.push(name);
      }
    } else if (key === "--jobs" || key === "--timeout") {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 1) fail(`"${arg}" needs a positive whole number, as in ${key}=2`, 2);
      options[key.slice(2)] = number;
    } else if (key.startsWith("-")) {
      fail(`unknown option "${arg}": use --quick, --runtime=NAME, --jobs=N, --timeout=SECONDS, --bail, or test files`, 2);
    } else options.files.push(arg);
  }
  if (options.quick && options.runtimes.length) fail("--quick runs this machine's node only: drop --runtime, or drop --quick", 2);
  return options;
}

function killGroup(child, signal = "SIGKILL") {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function exitText(code, signal) {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function step(text) {
  console.log(`\n> ${text}`);
}

function warn(text) {
  console.error(`\n!!! test: ${text} !!!\n`);
}

function fail(text, code = 1) {
  console.error(`test: ${text}`);
  process.exit(code);
}
