#!/usr/bin/env node
// Builds dist/ for Node consumers: the package's own TypeScript, bundled per entry point with
// shared chunks, so every entry (".", "./register", "./workflow") uses one
// instance of each internal module. Dependencies stay external. Deno runs the sources directly.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entryPoints = {
  mod: join(root, "mod.ts"),
  workflow: join(root, "workflow.ts"),
  register: join(root, "loader/register_entry.ts"),
  temporal: join(root, "temporal/mod.ts"),
  cli: join(root, "cli/main.ts"),
};
rmSync(join(root, "dist"), { recursive: true, force: true });
const started = performance.now();
await build({
  entryPoints,
  outdir: join(root, "dist"),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  packages: "external",
  sourcemap: "linked",
  entryNames: "[name]",
  chunkNames: "[name]-[hash]",
  logLevel: "warning",
});
console.log(`built dist/ in ${Math.round(performance.now() - started)} ms`);
