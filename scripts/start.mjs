// `npm start`: builds dist/, then runs the examples worker (examples/main/worker.ts) on its
// embedded defaults with `node --import workflow-sandbox/register`. The package supports Node.js
// 22.15 and later; on a machine whose node is older (a fresh machine may have Node 20), the worker
// runs on the matrix's Node 24 instead, installed from the npm registry into .runtimes/ (as
// `npm test` does), and a line says so.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { listRuntimes, meetsNodeFloor, NODE_FLOOR, ROOT } from "./runtimes.mjs";

const FALLBACK = "node24";
const run = (bin, args) => spawnSync(bin, args, { cwd: ROOT, stdio: "inherit" });
const exitOf = (result) => result.status ?? (result.signal ? 1 : 0);

const build = run(process.execPath, [join(ROOT, "scripts", "build.mjs")]);
if (build.status !== 0) process.exit(exitOf(build));

let node = process.execPath;
if (!meetsNodeFloor(process.version)) {
  console.error(
    `npm start: this machine's node is ${process.version}, below workflow-sandbox's floor ${NODE_FLOOR}; ` +
      `running the example on the test matrix's ${FALLBACK} (node scripts/install_runtimes.mjs ${FALLBACK})`,
  );
  const install = run(process.execPath, [join(ROOT, "scripts", "install_runtimes.mjs"), FALLBACK]);
  if (install.status !== 0) process.exit(exitOf(install));
  node = listRuntimes().find((runtime) => runtime.name === FALLBACK).bin;
}
const worker = run(node, ["--import", "workflow-sandbox/register", join("examples", "main", "worker.ts")]);
process.exit(exitOf(worker));
