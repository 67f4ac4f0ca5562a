// Workflows the benches generate: N trivial modules (an entry and `count - 1` leaves) for the
// per-module cost, which bench/core_bench.ts fits a line through, and a probe that tells whether
// the runner applies restrictions. They live in the OS temporary folder under fixed names and are
// rewritten only when their content changes, so the transform cache stays warm between bench runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Writes a workflow of `count` modules and returns the entry's file URL. `packageUrl` is where
 * `workflow-sandbox` resolves from the bench (the folder is outside the project, so the entry
 * imports the package by URL; the runner still passes it through, by path).
 */
export function writeTrivialWorkflow(count: number, packageUrl: string): string {
  const dir = join(tmpdir(), "workflow-sandbox-bench", `modules-${count}`);
  mkdirSync(dir, { recursive: true });
  const leaves = Array.from({ length: count - 1 }, (_, i) => i + 1);
  for (const i of leaves) {
    write(join(dir, `leaf${i}.ts`), [
      `export const weight${i}: number = ${i + 1};`,
      `export function step${i}(value: number): number {`,
      `  return (value * 31 + weight${i}) % 1_000_003;`,
      `}`,
      ``,
    ].join("\n"));
  }
  write(join(dir, "entry.ts"), [
    `import { workflow } from ${JSON.stringify(packageUrl)};`,
    ...leaves.map((i) => `import { step${i} } from "./leaf${i}.ts";`),
    ``,
    `export const trivial = workflow.defn(async function trivial(seed: number): Promise<number> {`,
    `  let value = seed;`,
    ...leaves.map((i) => `  value = step${i}(value);`),
    `  return value;`,
    `});`,
    ``,
  ].join("\n"));
  return pathToFileURL(join(dir, "entry.ts")).href;
}

/** Writes a one-module workflow answering "restricted" when `Math.random()` throws in it, else "allowed". */
export function writeRestrictionProbe(packageUrl: string): string {
  const dir = join(tmpdir(), "workflow-sandbox-bench", "restriction-probe");
  mkdirSync(dir, { recursive: true });
  write(join(dir, "probe.ts"), [
    `import { workflow } from ${JSON.stringify(packageUrl)};`,
    ``,
    `export const probe = workflow.defn(async function probe(): Promise<string> {`,
    `  try {`,
    `    Math.random();`,
    `    return "allowed";`,
    `  } catch {`,
    `    return "restricted";`,
    `  }`,
    `});`,
    ``,
  ].join("\n"));
  return pathToFileURL(join(dir, "probe.ts")).href;
}

function write(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, "utf8") === content) return;
  writeFileSync(path, content);
}
