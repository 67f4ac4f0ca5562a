// `npm start`: builds dist/, then runs the examples worker (examples/main/worker.ts) on its
// embedded defaults with `node --import workflow-sandbox/register`, on a supported Node.js
// (scripts/supported_node.mjs: this machine's node from 22.15 on, else the matrix's Node 24).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./runtimes.mjs";
import { supportedNode } from "./supported_node.mjs";

const run = (bin, args) => spawnSync(bin, args, { cwd: ROOT, stdio: "inherit" });

const build = run(process.execPath, [join(ROOT, "scripts", "build.mjs")]);
if (build.status !== 0) process.exit(build.status ?? 1);
const worker = run(supportedNode("npm start"), ["--import", "workflow-sandbox/register", join("examples", "main", "worker.ts")]);
process.exit(worker.status ?? 1);
