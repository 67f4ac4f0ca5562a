// Runs node with the given arguments on a supported Node.js (22.15 or later): this machine's node
// when it is one, otherwise the test matrix's Node 24, installed from the npm registry into
// .runtimes/ (as `npm test` does) with a line saying so. `npm start` and the bench scripts go
// through it, so they work on a fresh machine whose node is older (Node 20, say).
//
//   node scripts/supported_node.mjs --import ./dist/register.js bench/core_bench.ts --quick
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { listRuntimes, meetsNodeFloor, NODE_FLOOR, ROOT } from "./runtimes.mjs";

const FALLBACK = "node24";

/**
 * The path of a supported node binary, installing the fallback when this machine's is too old.
 * @param {string} why what the node is for, for the line printed when falling back
 * @returns {string}
 */
export function supportedNode(why) {
  if (meetsNodeFloor(process.version)) return process.execPath;
  console.error(
    `${why}: this machine's node is ${process.version}, below workflow-sandbox's floor ${NODE_FLOOR}; ` +
      `using the test matrix's ${FALLBACK} (node scripts/install_runtimes.mjs ${FALLBACK})`,
  );
  const install = spawnSync(process.execPath, [join(ROOT, "scripts", "install_runtimes.mjs"), FALLBACK], { cwd: ROOT, stdio: "inherit" });
  if (install.status !== 0) process.exit(install.status ?? 1);
  return listRuntimes().find((runtime) => runtime.name === FALLBACK).bin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const result = spawnSync(supportedNode(`node ${args.join(" ")}`), args, { stdio: "inherit" });
  process.exit(result.status ?? 1);
}
